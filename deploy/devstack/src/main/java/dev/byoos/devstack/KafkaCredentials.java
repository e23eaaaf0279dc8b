package dev.byoos.devstack;

import dev.byoos.contract.TopicAccess;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The SCRAM passwords of a dev stack's Kafka principals: the broker's own, {@value #ADMIN} (the
 * stack and tests create topics and ACLs with it) and one per {@link TopicAccess} principal.
 * Generated once per data directory, never fixed in the repository; readable by the owner only.
 */
public record KafkaCredentials(Map<String, String> passwords) {

    /** The broker's principal: inter-broker and controller traffic. A super user. */
    public static final String BROKER = "broker";
    /** The operators' principal: topics, ACLs, and tests that play any stage. A super user. */
    public static final String ADMIN = "admin";
    public static final String SECURITY_PROTOCOL = "SASL_PLAINTEXT";
    public static final String SASL_MECHANISM = "SCRAM-SHA-512";

    static final String FILE_NAME = "credentials.properties";

    public KafkaCredentials {
        passwords = Map.copyOf(passwords);
    }

    public String password(String principal) {
        String password = passwords.get(principal);
        if (password == null) {
            throw new IllegalArgumentException("no Kafka credentials for principal '" + principal + "'");
        }
        return password;
    }

    /** The client settings that log in as {@code principal}, keyed as Kafka clients name them. */
    public Map<String, Object> clientConfig(String principal) {
        return Map.of(
                "security.protocol", SECURITY_PROTOCOL,
                "sasl.mechanism", SASL_MECHANISM,
                "sasl.jaas.config", jaasConfig(principal));
    }

    public String jaasConfig(String principal) {
        return jaas("org.apache.kafka.common.security.scram.ScramLoginModule", principal, password(principal), "");
    }

    /** A JAAS line; passwords are hex, so they need no escaping inside the quotes. */
    static String jaas(String loginModule, String user, String password, String extra) {
        return loginModule + " required username=\"" + user + "\" password=\"" + password + "\"" + extra + ";";
    }

    /**
     * The data directory's stored credentials, if it holds a password for every principal (a
     * principal added to {@link TopicAccess} since they were stored makes them incomplete).
     */
    static Optional<KafkaCredentials> load(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties stored = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            stored.load(reader);
        }
        Map<String, String> passwords = new LinkedHashMap<>();
        for (String principal : principalNames()) {
            String password = stored.getProperty(principal);
            if (password == null || password.isBlank()) {
                return Optional.empty();
            }
            passwords.put(principal, password.trim());
        }
        return Optional.of(new KafkaCredentials(passwords));
    }

    /** New random passwords for every principal, stored in the data directory (owner-readable only). */
    static KafkaCredentials create(Path dir) throws IOException {
        SecureRandom random = new SecureRandom();
        Map<String, String> passwords = new LinkedHashMap<>();
        Properties generated = new Properties();
        for (String principal : principalNames()) {
            byte[] bytes = new byte[24];
            random.nextBytes(bytes);
            String password = HexFormat.of().formatHex(bytes);
            passwords.put(principal, password);
            generated.setProperty(principal, password);
        }
        Path file = dir.resolve(FILE_NAME);
        Files.createDirectories(dir);
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            generated.store(writer, "SCRAM-SHA-512 passwords of this dev stack's Kafka principals");
        }
        return new KafkaCredentials(passwords);
    }

    private static List<String> principalNames() {
        List<String> names = new ArrayList<>(List.of(BROKER, ADMIN));
        TopicAccess.principals().forEach(principal -> names.add(principal.name()));
        return names;
    }
}
