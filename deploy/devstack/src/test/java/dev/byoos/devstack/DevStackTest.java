package dev.byoos.devstack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.byoos.contract.TopicAccess;
import dev.byoos.contract.Topics;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the real servers in this JVM and talks to each through its ordinary client, then stops
 * the stack, checks that it let go of its ports, and starts it again on the same data directory.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DevStackTest {

    private static final Duration KAFKA_POLL_TIMEOUT = Duration.ofSeconds(30);
    private static final String OBJECT_NAME = "probe/hello.txt";
    private static final byte[] OBJECT_CONTENT = "hello from the dev stack test".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dataDir;

    private static DevStack stack;
    private static Endpoints endpoints;

    @BeforeAll
    static void startStack() throws Exception {
        stack = DevStack.start(dataDir);
        endpoints = stack.endpoints();
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void endpointsFileMatchesTheRunningStack() throws Exception {
        Path file = dataDir.resolve(Endpoints.FILE_NAME);
        assertEquals(endpoints, Endpoints.load(file));
        assertEquals(ProcessHandle.current().pid(), endpoints.devstackPid());
        assertTrue(Files.readString(file).contains("kafka.bootstrap.servers=127.0.0.1:"),
                "values are written unescaped, for shell readers");
    }

    @Test
    @Order(2)
    void kafkaHasTheContractTopicsAndDeliversARecord() throws Exception {
        try (Admin admin = Admin.create(kafkaConfig(KafkaCredentials.ADMIN, Map.of()))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            for (Topics.TopicSpec topic : Topics.all()) {
                assertTrue(existing.contains(topic.name()), "topic " + topic.name());
            }
        }

        RecordMetadata sent;
        // As the stages do: spec-service requests a build, build-worker reads it, each with the
        // credentials the endpoints file hands out.
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(kafkaConfig(TopicAccess.SPEC_SERVICE, Map.of(
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName())))) {
            sent = producer.send(new ProducerRecord<>(Topics.BUILDS_REQUESTED, "build-1", "{\"probe\":true}"))
                    .get(30, TimeUnit.SECONDS);
        }

        TopicPartition partition = new TopicPartition(sent.topic(), sent.partition());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(kafkaConfig(TopicAccess.BUILD_WORKER, Map.of(
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName())))) {
            consumer.assign(List.of(partition));
            consumer.seek(partition, sent.offset());
            ConsumerRecord<String, String> received = pollOne(consumer);
            assertEquals("build-1", received.key());
            assertEquals("{\"probe\":true}", received.value());
        }
    }

    private static Map<String, Object> kafkaConfig(String principal, Map<String, Object> settings) {
        Map<String, Object> config = new HashMap<>(endpoints.kafkaCredentials().clientConfig(principal));
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, endpoints.kafkaBootstrapServers());
        config.putAll(settings);
        return config;
    }

    @Test
    @Order(3)
    void everyServiceDatabaseAnswers() throws SQLException {
        for (String database : List.of("spec_service", "build_worker", "artifact_service", "pack_publisher")) {
            try (Connection connection = connect(database);
                    Statement statement = connection.createStatement();
                    ResultSet result = statement.executeQuery("select 1")) {
                assertTrue(result.next(), database);
                assertEquals(1, result.getInt(1), database);
            }
        }
        try (Connection connection = connect("spec_service");
                Statement statement = connection.createStatement()) {
            statement.execute("create table survives_restart (id int primary key)");
            statement.execute("insert into survives_restart values (42)");
        }
    }

    @Test
    @Order(4)
    void s3StoresAndReturnsAnObjectOverHttp() throws Exception {
        MinioClient s3 = s3Client();
        assertTrue(s3.bucketExists(BucketExistsArgs.builder().bucket(endpoints.s3ArtifactsBucket()).build()));
        s3.putObject(PutObjectArgs.builder()
                .bucket(endpoints.s3StagingBucket())
                .object(OBJECT_NAME)
                .stream(new ByteArrayInputStream(OBJECT_CONTENT), OBJECT_CONTENT.length, -1)
                .contentType("text/plain")
                .build());
        assertArrayEquals(OBJECT_CONTENT, readObject(s3));
    }

    @Test
    @Order(5)
    void registryAnswersTheV2Probe() throws Exception {
        HttpResponse<Void> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(endpoints.registryUrl() + "/v2/")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.discarding());
        assertEquals(200, response.statusCode());
    }

    /**
     * The fault-injection suite's outages: each server is down while its switch file exists and
     * back on the same port, with what it held, once the file is gone.
     */
    @Test
    @Order(6)
    void everyServerGoesDownOnItsOutageSwitchAndComesBackWithItsData() throws Exception {
        Map<String, Integer> ports = Map.of(
                "kafka", Integer.parseInt(endpoints.kafkaBootstrapServers().substring(
                        endpoints.kafkaBootstrapServers().lastIndexOf(':') + 1)),
                "postgres", endpoints.postgresPort(),
                "s3", URI.create(endpoints.s3Endpoint()).getPort(),
                "registry", URI.create(endpoints.registryUrl()).getPort());
        for (String server : DevStack.OUTAGE_SERVERS) {
            Path outageFile = dataDir.resolve(server + DevStack.OUTAGE_FILE_SUFFIX);
            Files.writeString(outageFile, "down");
            awaitListening(server, ports.get(server), false);
            Files.delete(outageFile);
            awaitListening(server, ports.get(server), true);
        }

        try (Admin admin = Admin.create(kafkaConfig(KafkaCredentials.ADMIN, Map.of()))) {
            assertTrue(admin.listTopics().names().get(60, TimeUnit.SECONDS).contains(Topics.BUILDS_REQUESTED));
        }
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(kafkaConfig(TopicAccess.BUILD_WORKER, Map.of(
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName())))) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.BUILDS_REQUESTED).stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            assertEquals("build-1", pollOne(consumer).key(), "the record written before the outage, read as build-worker");
        }
        assertTheRowWrittenEarlierIsThere();
        assertArrayEquals(OBJECT_CONTENT, readObject(s3Client()));
        registryAnswersTheV2Probe();
    }

    private static void awaitListening(String server, int port, boolean listening) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (accepts(port) != listening) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(server + " still " + (listening ? "down" : "up") + " after 60 s");
            }
            Thread.sleep(50);
        }
    }

    /** A connection, not a bind: binding the port while the server comes back could take it from the server. */
    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(Ports.LOOPBACK, port), 1000);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }

    @Test
    @Order(7)
    void closeStopsEveryServerAndFreesItsPorts() {
        stack.close();
        stack = null;

        assertFalse(Files.exists(dataDir.resolve(Endpoints.FILE_NAME)), "endpoints file removed on stop");
        int kafkaPort = Integer.parseInt(endpoints.kafkaBootstrapServers().substring(
                endpoints.kafkaBootstrapServers().lastIndexOf(':') + 1));
        assertTrue(Ports.isFree(kafkaPort), "Kafka port " + kafkaPort);
        assertTrue(Ports.isFree(endpoints.postgresPort()), "PostgreSQL port " + endpoints.postgresPort());
        int s3Port = URI.create(endpoints.s3Endpoint()).getPort();
        assertTrue(Ports.isFree(s3Port), "S3 port " + s3Port);
        int registryPort = URI.create(endpoints.registryUrl()).getPort();
        assertTrue(Ports.isFree(registryPort), "registry port " + registryPort);
    }

    @Test
    @Order(8)
    void warmRestartKeepsTheData() throws Exception {
        String firstSecret = endpoints.s3SecretKey();
        stack = DevStack.start(dataDir);
        endpoints = stack.endpoints();

        assertEquals(firstSecret, endpoints.s3SecretKey(), "S3 credentials are generated once per data dir");
        assertTheRowWrittenEarlierIsThere();
        assertArrayEquals(OBJECT_CONTENT, readObject(s3Client()));
    }

    private static void assertTheRowWrittenEarlierIsThere() throws SQLException {
        try (Connection connection = connect("spec_service");
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("select id from survives_restart")) {
            assertTrue(result.next());
            assertEquals(42, result.getInt(1));
        }
    }

    private static ConsumerRecord<String, String> pollOne(KafkaConsumer<String, String> consumer) {
        long deadline = System.nanoTime() + KAFKA_POLL_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                return record;
            }
        }
        throw new AssertionError("no record within " + KAFKA_POLL_TIMEOUT.toSeconds() + " s");
    }

    private static Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(endpoints.jdbcUrl(database), endpoints.postgresUsername(),
                endpoints.postgresPassword());
    }

    private static MinioClient s3Client() {
        return MinioClient.builder()
                .endpoint(endpoints.s3Endpoint())
                .region(endpoints.s3Region())
                .credentials(endpoints.s3AccessKey(), endpoints.s3SecretKey())
                .build();
    }

    private static byte[] readObject(MinioClient s3) throws Exception {
        try (InputStream object = s3.getObject(GetObjectArgs.builder()
                .bucket(endpoints.s3StagingBucket())
                .object(OBJECT_NAME)
                .build())) {
            return object.readAllBytes();
        }
    }
}
