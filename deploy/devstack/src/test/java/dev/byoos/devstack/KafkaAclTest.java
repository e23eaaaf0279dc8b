package dev.byoos.devstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.byoos.contract.TopicAccess;
import dev.byoos.contract.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The devstack's real broker with its users and ACLs: a service's credentials cannot write
 * another stage's topics or use another's consumer groups, and nobody gets in without a password.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class KafkaAclTest {

    /** How long a client that will be refused may try; a refusal, not a duration, is asserted. */
    private static final int REFUSAL_WAIT_MS = 10_000;

    @TempDir
    static Path dir;
    private static KafkaServer kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = KafkaServer.start(dir.resolve("kafka"), Files.createDirectories(dir.resolve("logs")));
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void buildWorkerCannotWriteTheSpecIntakeOrBuildRequests() {
        for (String topic : Set.of(Topics.SPECS_SUBMITTED, Topics.BUILDS_REQUESTED, Topics.ARTIFACTS_STORED)) {
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> send(TopicAccess.BUILD_WORKER, topic), topic);
            assertInstanceOf(TopicAuthorizationException.class, refused.getCause(), topic);
        }
    }

    @Test
    void aServiceWritesItsOwnTopics() throws Exception {
        send(TopicAccess.BUILD_WORKER, Topics.BUILDS_COMPLETED);
        send(TopicAccess.BUILD_WORKER, Topics.deadLetter(Topics.BUILDS_REQUESTED));
        send(TopicAccess.SPEC_SUBMITTER, Topics.SPECS_SUBMITTED);
    }

    @Test
    void theSpecSubmitterCanOnlySubmit() {
        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> send(TopicAccess.SPEC_SUBMITTER, Topics.BUILDS_REQUESTED));
        assertInstanceOf(TopicAuthorizationException.class, refused.getCause());
    }

    @Test
    void aServiceCannotJoinAnotherServicesConsumerGroup() {
        Map<String, Object> config = clientConfig(TopicAccess.BUILD_WORKER);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "spec-service." + Topics.BUILDS_REQUESTED);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(Set.of(Topics.BUILDS_REQUESTED));
            assertThrows(GroupAuthorizationException.class, () -> consumer.poll(Duration.ofMillis(REFUSAL_WAIT_MS)));
        }
    }

    @Test
    void aWrongPasswordIsRefused() {
        Map<String, Object> config = clientConfig(TopicAccess.BUILD_WORKER);
        config.put("sasl.jaas.config", KafkaCredentials.jaas("org.apache.kafka.common.security.scram.ScramLoginModule",
                TopicAccess.BUILD_WORKER, "not-the-password", ""));
        ExecutionException refused = assertThrows(ExecutionException.class, () -> send(config, Topics.BUILDS_STARTED));
        assertInstanceOf(SaslAuthenticationException.class, refused.getCause());
    }

    @Test
    void aClientWithoutCredentialsCannotProduce() {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        // The broker drops a connection that does not start with a SASL handshake: the producer
        // never gets metadata, so the send fails instead of reaching the topic.
        assertThrows(Exception.class, () -> send(config, Topics.SPECS_SUBMITTED));
    }

    @Test
    void theBrokerGrantsEachPrincipalExactlyItsTopicAccess() throws Exception {
        Map<String, Object> config = clientConfig(KafkaCredentials.ADMIN);
        try (Admin admin = Admin.create(config)) {
            Set<AclBinding> granted = new HashSet<>(admin.describeAcls(AclBindingFilter.ANY).values()
                    .get(REFUSAL_WAIT_MS, TimeUnit.MILLISECONDS));
            assertEquals(new HashSet<>(KafkaAcls.of(TopicAccess.principals())), granted);
        }
    }

    @Test
    void aRestartKeepsTheCredentialsAndAcls() throws Exception {
        kafka.close();
        kafka = KafkaServer.start(dir.resolve("kafka"), dir.resolve("logs"));
        send(TopicAccess.PACK_PUBLISHER, Topics.PACKS_PUBLISHED);
        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> send(TopicAccess.PACK_PUBLISHER, Topics.ARTIFACTS_STORED));
        assertInstanceOf(TopicAuthorizationException.class, refused.getCause());
    }

    @Test
    void storageWithoutEveryPrincipalsCredentialsIsFormattedAgainWithNewOnes(@TempDir Path other) throws Exception {
        Path kafkaDir = other.resolve("kafka");
        String oldPassword;
        try (KafkaServer first = KafkaServer.start(kafkaDir, Files.createDirectories(other.resolve("logs")))) {
            oldPassword = first.credentials().password(TopicAccess.BUILD_WORKER);
        }
        Files.delete(kafkaDir.resolve(KafkaCredentials.FILE_NAME));
        try (KafkaServer second = KafkaServer.start(kafkaDir, other.resolve("logs"))) {
            Map<String, Object> config = new HashMap<>(second.credentials().clientConfig(TopicAccess.BUILD_WORKER));
            config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, second.bootstrapServers());
            send(config, Topics.BUILDS_STARTED);
            config.put("sasl.jaas.config", KafkaCredentials.jaas("org.apache.kafka.common.security.scram.ScramLoginModule",
                    TopicAccess.BUILD_WORKER, oldPassword, ""));
            ExecutionException refused = assertThrows(ExecutionException.class, () -> send(config, Topics.BUILDS_STARTED));
            assertInstanceOf(SaslAuthenticationException.class, refused.getCause());
        }
    }

    @Test
    void theFilesHoldingPasswordsOrScramKeysAreReadableByTheOwnerOnly() throws Exception {
        for (Path file : List.of(dir.resolve("kafka").resolve(KafkaCredentials.FILE_NAME),
                dir.resolve("kafka/server.properties"), dir.resolve("logs/kafka-format.log"))) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), file.toString());
        }
    }

    private static void send(String principal, String topic) throws Exception {
        send(clientConfig(principal), topic);
    }

    private static void send(Map<String, Object> config, String topic) throws Exception {
        Map<String, Object> producerConfig = new HashMap<>(config);
        producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, REFUSAL_WAIT_MS);
        producerConfig.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, REFUSAL_WAIT_MS);
        producerConfig.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, REFUSAL_WAIT_MS);
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig, new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "key", "{}")).get(2L * REFUSAL_WAIT_MS, TimeUnit.MILLISECONDS);
        }
    }

    private static Map<String, Object> clientConfig(String principal) {
        Map<String, Object> config = new HashMap<>(kafka.credentials().clientConfig(principal));
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        return config;
    }
}
