package dev.byoos.testsupport;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Where the test stack listens. Same keys as the devstack's {@code endpoints.properties}; kept as
 * its own small type so tests never load devstack classes.
 */
public record Endpoints(
        String kafkaBootstrapServers,
        Map<String, String> kafkaPasswords,
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
    /** The stack's super user: tests play any stage with it (the devstack's KafkaCredentials.ADMIN). */
    public static final String KAFKA_ADMIN = "admin";
    private static final String KAFKA_PASSWORD_PREFIX = "kafka.password.";

    public Endpoints {
        kafkaPasswords = Map.copyOf(kafkaPasswords);
    }

    public static Endpoints fromProperties(Properties properties) {
        return new Endpoints(
                required(properties, "kafka.bootstrap.servers"),
                kafkaPasswords(properties),
                required(properties, "postgres.host"),
                Integer.parseInt(required(properties, "postgres.port")),
                required(properties, "postgres.username"),
                required(properties, "postgres.password"),
                required(properties, "s3.endpoint"),
                required(properties, "s3.region"),
                required(properties, "s3.access-key"),
                required(properties, "s3.secret-key"),
                required(properties, "s3.bucket.staging"),
                required(properties, "s3.bucket.artifacts"),
                required(properties, "registry.url"),
                Long.parseLong(required(properties, "devstack.pid")));
    }

    public static Endpoints load(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        try {
            return fromProperties(properties);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(file + ": " + e.getMessage(), e);
        }
    }

    /** Writes the devstack's file format: plain {@code key=value} lines. */
    public void write(Path file) {
        String text = String.join("\n",
                "kafka.bootstrap.servers=" + kafkaBootstrapServers,
                kafkaPasswords.entrySet().stream().sorted(Map.Entry.comparingByKey())
                        .map(entry -> KAFKA_PASSWORD_PREFIX + entry.getKey() + "=" + entry.getValue() + "\n")
                        .collect(Collectors.joining()).strip(),
                "postgres.host=" + postgresHost,
                "postgres.port=" + postgresPort,
                "postgres.username=" + postgresUsername,
                "postgres.password=" + postgresPassword,
                "s3.endpoint=" + s3Endpoint,
                "s3.region=" + s3Region,
                "s3.access-key=" + s3AccessKey,
                "s3.secret-key=" + s3SecretKey,
                "s3.bucket.staging=" + s3StagingBucket,
                "s3.bucket.artifacts=" + s3ArtifactsBucket,
                "registry.url=" + registryUrl,
                "devstack.pid=" + devstackPid,
                "");
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** A principal's password, e.g. {@value #KAFKA_ADMIN} or a service's name. */
    public String kafkaPassword(String principal) {
        String password = kafkaPasswords.get(principal);
        if (password == null) {
            throw new IllegalStateException("the test stack has no Kafka credentials for principal '" + principal
                    + "'; it has " + new TreeSet<>(kafkaPasswords.keySet()));
        }
        return password;
    }

    /** Kafka client settings that reach the stack as {@code principal} (SASL/SCRAM, as the devstack's broker wants). */
    public Map<String, Object> kafkaClientConfig(String principal) {
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", kafkaBootstrapServers);
        config.put("security.protocol", "SASL_PLAINTEXT");
        config.put("sasl.mechanism", "SCRAM-SHA-512");
        config.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + principal + "\" password=\"" + kafkaPassword(principal) + "\";");
        return config;
    }

    /** {@code postgresql://host:port/database}, the form of Quarkus' reactive datasource URL. */
    public String reactivePostgresUrl(String database) {
        return "postgresql://" + postgresHost + ":" + postgresPort + "/" + database;
    }

    public String jdbcUrl(String database) {
        return "jdbc:" + reactivePostgresUrl(database);
    }

    private static Map<String, String> kafkaPasswords(Properties properties) {
        Map<String, String> passwords = new HashMap<>();
        for (String key : properties.stringPropertyNames()) {
            if (key.startsWith(KAFKA_PASSWORD_PREFIX)) {
                passwords.put(key.substring(KAFKA_PASSWORD_PREFIX.length()), required(properties, key));
            }
        }
        return passwords;
    }

    private static String required(Properties properties, String key) {
        String value = properties.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("missing key " + key);
        }
        return value.trim();
    }
}
