package dev.byoos.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.byoos.contract.TopicAccess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker-compose's broker grants the ACLs of {@link TopicAccess} exactly, and ships no Kafka
 * secret: every password comes from the env files make-keys.sh generates.
 */
class ComposeKafkaAclsTest {

    private static final Pattern GRANT = Pattern.compile("(?m)^grant (\\S+) \"([^\"]*)\" \"([^\"]*)\"$");

    private final Path root = Path.of(System.getProperty("byoos.repo.root", "..")).toAbsolutePath().normalize();

    @Test
    void theTopicsJobGrantsEachPrincipalExactlyItsTopicAccess() throws IOException {
        String script = Files.readString(root.resolve("deploy/compose/create-topics.sh"), StandardCharsets.UTF_8);
        Map<String, String> granted = new TreeMap<>();
        Matcher grant = GRANT.matcher(script);
        while (grant.find()) {
            granted.put(grant.group(1), "consumes " + sorted(grant.group(2)) + " produces " + sorted(grant.group(3)));
        }
        Map<String, String> expected = new TreeMap<>();
        for (TopicAccess.Principal principal : TopicAccess.principals()) {
            expected.put(principal.name(), "consumes " + new TreeSet<>(principal.consumes())
                    + " produces " + new TreeSet<>(principal.produces()));
        }
        assertEquals(expected, granted);
    }

    @Test
    void everyServiceReadsOnlyItsOwnGeneratedPasswordAndTheBrokerRequiresItsOwn() throws IOException {
        String compose = Files.readString(root.resolve("docker-compose.yml"), StandardCharsets.UTF_8);
        for (String service : Set.of("spec-service", "build-worker", "artifact-service", "pack-publisher")) {
            assertTrue(compose.contains("env_file:\n      - .devstack/kafka/" + service + ".env\n"), service);
        }
        assertTrue(compose.contains("env_file: .devstack/kafka/broker.env"));
        // No credential in the file itself: database and object storage passwords come from make-keys.sh too.
        assertFalse(java.util.regex.Pattern.compile("(PASSWORD|SECRET_KEY|ACCESS_KEY): *\\S").matcher(compose).find(),
                "a fixed credential in docker-compose.yml");
        assertTrue(compose.contains("env_file: .devstack/compose/datastores.env"), "PostgreSQL's and MinIO's");
        String keys = Files.readString(root.resolve("deploy/compose/make-keys.sh"), StandardCharsets.UTF_8);
        assertTrue(keys.contains("openssl rand"), "passwords are generated");
        for (TopicAccess.Principal principal : TopicAccess.principals()) {
            assertTrue(keys.contains(principal.name()), principal.name() + " gets a password");
        }
    }

    private static Set<String> sorted(String words) {
        return new TreeSet<>(Arrays.asList(words.trim().split("\\s+")));
    }
}
