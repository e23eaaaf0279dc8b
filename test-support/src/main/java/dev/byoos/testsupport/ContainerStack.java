package dev.byoos.testsupport;

import dev.byoos.contract.Topics;
import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.lifecycle.Startable;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.postgresql.PostgreSQLContainer;

/** The same stack from Testcontainers, for machines with a Docker engine. */
final class ContainerStack {

    static final String KAFKA_IMAGE = "apache/kafka:4.0.0";
    static final String POSTGRES_IMAGE = "postgres:17-alpine";
    static final String MINIO_IMAGE = "minio/minio:RELEASE.2023-09-04T19-57-37Z";
    static final String REGISTRY_IMAGE = "registry:2";

    private static final int REGISTRY_PORT = 5000;
    private static final String S3_ACCESS_KEY = "byoos-local";
    private static final String S3_SECRET_KEY = "byoos-local-secret";
    private static final long ADMIN_TIMEOUT_SECONDS = 60;

    private ContainerStack() {
    }

    static boolean dockerAvailable() {
        return DockerClientFactory.instance().isDockerAvailable();
    }

    /** Starts the containers and returns an endpoints.properties describing them. */
    static Path start() {
        KafkaContainer kafka = new KafkaContainer(KAFKA_IMAGE);
        PostgreSQLContainer postgres = new PostgreSQLContainer(POSTGRES_IMAGE)
                .withUsername(StackLayout.POSTGRES_USERNAME)
                .withPassword(StackLayout.POSTGRES_PASSWORD);
        MinIOContainer minio = new MinIOContainer(MINIO_IMAGE)
                .withUserName(S3_ACCESS_KEY)
                .withPassword(S3_SECRET_KEY);
        GenericContainer<?> registry = new GenericContainer<>(REGISTRY_IMAGE)
                .withExposedPorts(REGISTRY_PORT)
                .waitingFor(Wait.forHttp("/v2/").forStatusCode(200));
        List<Startable> containers = List.of(kafka, postgres, minio, registry);
        // Ryuk removes the containers if this JVM dies; the hook stops them on a normal exit.
        Runtime.getRuntime().addShutdownHook(new Thread(
                () -> containers.forEach(Startable::stop), "test-containers-stop"));
        try {
            Startables.deepStart(containers).get(5, TimeUnit.MINUTES);
            createTopics(kafka.getBootstrapServers());
            createDatabases(postgres);
            createBuckets(minio.getS3URL());
        } catch (ExecutionException e) {
            throw new IllegalStateException("the test containers did not start", e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the test containers did not start within 5 min", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the test containers", e);
        } catch (Exception e) {
            throw new IllegalStateException("could not prepare the test containers", e);
        }
        // This Kafka container has no SASL users or ACLs yet, so it carries no Kafka passwords and
        // DevStackResource refuses it with a clear message; the devstack child is the tested path.
        Endpoints endpoints = new Endpoints(
                kafka.getBootstrapServers(),
                Map.of(),
                postgres.getHost(),
                postgres.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT),
                postgres.getUsername(),
                postgres.getPassword(),
                minio.getS3URL(),
                StackLayout.S3_REGION,
                S3_ACCESS_KEY,
                S3_SECRET_KEY,
                StackLayout.STAGING_BUCKET,
                StackLayout.ARTIFACTS_BUCKET,
                "http://" + registry.getHost() + ":" + registry.getMappedPort(REGISTRY_PORT),
                ProcessHandle.current().pid());
        try {
            Path file = Files.createTempFile("byoos-test-stack-", ".properties");
            file.toFile().deleteOnExit();
            endpoints.write(file);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void createTopics(String bootstrapServers) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            List<NewTopic> topics = Topics.all().stream()
                    .map(topic -> new NewTopic(topic.name(), topic.partitions(), (short) 1))
                    .toList();
            for (var result : admin.createTopics(topics).values().entrySet()) {
                try {
                    result.getValue().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("could not create topic " + result.getKey(), e.getCause());
                    }
                }
            }
        }
    }

    private static void createDatabases(PostgreSQLContainer postgres) throws Exception {
        for (String database : StackLayout.DATABASES) {
            Container.ExecResult result = postgres.execInContainer(
                    "psql", "-U", postgres.getUsername(), "-d", "postgres", "-c", "CREATE DATABASE " + database);
            if (result.getExitCode() != 0) {
                throw new IllegalStateException("CREATE DATABASE " + database + " failed: " + result.getStderr());
            }
        }
    }

    private static void createBuckets(String endpoint) throws Exception {
        MinioClient s3 = MinioClient.builder()
                .endpoint(endpoint)
                .region(StackLayout.S3_REGION)
                .credentials(S3_ACCESS_KEY, S3_SECRET_KEY)
                .build();
        for (String bucket : List.of(StackLayout.STAGING_BUCKET, StackLayout.ARTIFACTS_BUCKET)) {
            if (!s3.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                s3.makeBucket(MakeBucketArgs.builder().bucket(bucket).region(StackLayout.S3_REGION).build());
            }
        }
    }
}
