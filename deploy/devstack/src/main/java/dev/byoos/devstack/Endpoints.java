package dev.byoos.devstack;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Where a running dev stack listens: the contents of {@code <data-dir>/endpoints.properties}.
 * The property keys are a contract with scripts and with byoos-test-support; keep them stable.
 */
public record Endpoints(
        String kafkaBootstrapServers,
        KafkaCredentials kafkaCredentials,
        String postgresHost,
        int postgresPort,
        String postgresUsername,
        String postgresPassword,
        String s3Endpoint,
        String s3Region,
        String s3AccessKey,
        String s3SecretKey,
        String s3StagingBucket,
        String s3ArtifactsBucket,
        String registryUrl,
        long devstackPid) {

    public static final String FILE_NAME = "endpoints.properties";

    static final String KAFKA_BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    static final String KAFKA_SECURITY_PROTOCOL = "kafka.security.protocol";
    static final String KAFKA_SASL_MECHANISM = "kafka.sasl.mechanism";
    /** Followed by a principal's name: {@code kafka.password.build-worker}. */
    static final String KAFKA_PASSWORD_PREFIX = "kafka.password.";
    static final String POSTGRES_HOST = "postgres.host";
    static final String POSTGRES_PORT = "postgres.port";
    static final String POSTGRES_USERNAME = "postgres.username";
    static final String POSTGRES_PASSWORD = "postgres.password";
    static final String S3_ENDPOINT = "s3.endpoint";
    static final String S3_REGION = "s3.region";
    static final String S3_ACCESS_KEY = "s3.access-key";
    static final String S3_SECRET_KEY = "s3.secret-key";
    static final String S3_BUCKET_STAGING = "s3.bucket.staging";
    static final String S3_BUCKET_ARTIFACTS = "s3.bucket.artifacts";
    static final String REGISTRY_URL = "registry.url";
    static final String DEVSTACK_PID = "devstack.pid";

    /** The JDBC URL of one of the stack's databases. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + postgresHost + ":" + postgresPort + "/" + database;
    }

    /** Every key in file order. */
    public Map<String, String> toMap() {
        Map<String, String> map = new LinkedHashMap<>();
        map.put(KAFKA_BOOTSTRAP_SERVERS, kafkaBootstrapServers);
        map.put(KAFKA_SECURITY_PROTOCOL, KafkaCredentials.SECURITY_PROTOCOL);
        map.put(KAFKA_SASL_MECHANISM, KafkaCredentials.SASL_MECHANISM);
        new TreeMap<>(kafkaCredentials.passwords()).forEach((principal, password) ->
                map.put(KAFKA_PASSWORD_PREFIX + principal, password));
        map.put(POSTGRES_HOST, postgresHost);
        map.put(POSTGRES_PORT, Integer.toString(postgresPort));
        map.put(POSTGRES_USERNAME, postgresUsername);
        map.put(POSTGRES_PASSWORD, postgresPassword);
        map.put(S3_ENDPOINT, s3Endpoint);
        map.put(S3_REGION, s3Region);
        map.put(S3_ACCESS_KEY, s3AccessKey);
        map.put(S3_SECRET_KEY, s3SecretKey);
        map.put(S3_BUCKET_STAGING, s3StagingBucket);
        map.put(S3_BUCKET_ARTIFACTS, s3ArtifactsBucket);
        map.put(REGISTRY_URL, registryUrl);
        map.put(DEVSTACK_PID, Long.toString(devstackPid));
        return map;
    }

    public Properties toProperties() {
        Properties properties = new Properties();
        properties.putAll(toMap());
        return properties;
    }

    public static Endpoints fromProperties(Properties properties) {
        return new Endpoints(
                required(properties, KAFKA_BOOTSTRAP_SERVERS),
                kafkaCredentials(properties),
                required(properties, POSTGRES_HOST),
                Integer.parseInt(required(properties, POSTGRES_PORT)),
                required(properties, POSTGRES_USERNAME),
                required(properties, POSTGRES_PASSWORD),
                required(properties, S3_ENDPOINT),
                required(properties, S3_REGION),
                required(properties, S3_ACCESS_KEY),
                required(properties, S3_SECRET_KEY),
                required(properties, S3_BUCKET_STAGING),
                required(properties, S3_BUCKET_ARTIFACTS),
                required(properties, REGISTRY_URL),
                Long.parseLong(required(properties, DEVSTACK_PID)));
    }

    public static Endpoints load(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        try {
            return fromProperties(properties);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the file so that a reader sees either no file or the complete one: a temporary file
     * in the same directory, then an atomic rename. Plain {@code key=value} lines (not
     * {@link Properties#store}, which would escape the colons) so shell scripts can read it too.
     */
    public void writeAtomically(Path file) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer writer = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
            writer.write("# BYOOS dev stack endpoints; removed when the stack stops\n");
            for (Map.Entry<String, String> entry : toMap().entrySet()) {
                writer.write(entry.getKey() + "=" + entry.getValue() + "\n");
            }
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static KafkaCredentials kafkaCredentials(Properties properties) {
        Map<String, String> passwords = new LinkedHashMap<>();
        for (String key : properties.stringPropertyNames()) {
            if (key.startsWith(KAFKA_PASSWORD_PREFIX)) {
                passwords.put(key.substring(KAFKA_PASSWORD_PREFIX.length()), required(properties, key));
            }
        }
        return new KafkaCredentials(passwords);
    }

    private static String required(Properties properties, String key) {
        String value = properties.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("missing key " + key);
        }
        return value.trim();
    }
}
