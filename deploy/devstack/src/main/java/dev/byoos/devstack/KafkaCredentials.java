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

    /** Loads the data directory's credentials, generating and storing them on first use. */
    static KafkaCredentials loadOrCreate(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        Properties stored = new Properties();
        if (Files.isRegularFile(file)) {
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                stored.load(reader);
            }
        }
        Map<String, String> passwords = new LinkedHashMap<>();
        boolean complete = true;
        for (String principal : principalNames()) {
            String password = stored.getProperty(principal);
            if (password == null || password.isBlank()) {
                complete = false;
                break;
            }
            passwords.put(principal, password.trim());
        }
        if (complete) {
            return new KafkaCredentials(passwords);
        }
        passwords.clear();
        SecureRandom random = new SecureRandom();
        Properties generated = new Properties();
        for (String principal : principalNames()) {
            byte[] bytes = new byte[24];
            random.nextBytes(bytes);
            String password = HexFormat.of().formatHex(bytes);
            passwords.put(principal, password);
            generated.setProperty(principal, password);
        }
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
