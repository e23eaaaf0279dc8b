import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.worker.storage.StagingStore;

/**
 * Upload + promotion of an image against a stock S3 client (awscli) uploading the same file to the
 * same endpoint, and against a plain disk copy (single-file program; bench/artifact-promotion.sh
 * runs it with artifact-service's jars and build-worker's classes).
 *
 * <p>Each run writes a fresh file of random bytes (untimed: every run's digest is new, so nothing
 * is skipped as already stored), then times (1) {@code cp} of the file, (2) {@code aws s3 cp} of
 * it to the staging bucket, (3) its upload as build-worker does it (build-worker's own
 * {@link StagingStore}), and (4) from sending build.completed to receiving artifact.stored:
 * artifact-service's verification and promotion. The ratio is (2) / ((3) + (4)).
 *
 * usage: java -cp 'artifact-service/target/quarkus-app/lib/main/*:build-worker/target/classes' bench/ArtifactBench.java ENDPOINTS_PROPERTIES WORK_DIR SIZE_MIB RUNS
 */
public class ArtifactBench {

    public static void main(String[] args) throws Exception {
        Properties endpoints = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
            endpoints.load(in);
        }
        Path work = Path.of(args[1]);
        long size = Long.parseLong(args[2]) * 1024 * 1024;
        int runs = Integer.parseInt(args[3]);
        String bucket = endpoints.getProperty("s3.bucket.staging");
        StagingStore staging = StagingStore.connect(endpoints.getProperty("s3.endpoint"),
                endpoints.getProperty("s3.region"), endpoints.getProperty("s3.access-key"),
                endpoints.getProperty("s3.secret-key"), bucket);
        // The bench plays build-worker (build.completed) and reads artifact.stored: the stack's admin may do both.
        Map<String, Object> kafka = Map.of(
                "bootstrap.servers", endpoints.getProperty("kafka.bootstrap.servers"),
                "security.protocol", endpoints.getProperty("kafka.security.protocol"),
                "sasl.mechanism", endpoints.getProperty("kafka.sasl.mechanism"),
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" "
                        + "password=\"" + endpoints.getProperty("kafka.password.admin") + "\";");

        System.out.printf("| run | size (MiB) | cp (s) | awscli upload (s) | upload (s) | verify + promote (s) | upload + promotion (MiB/s) | awscli (MiB/s) | ratio |%n");
        System.out.printf("|---|---|---|---|---|---|---|---|---|%n");
        List<Double> ratios = new ArrayList<>();
        Map<String, Object> producerConfig = new HashMap<>(kafka);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        Map<String, Object> consumerConfig = new HashMap<>(kafka);
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, "artifact-bench-" + UUID.randomUUID());
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig, new StringSerializer(),
                new StringSerializer());
                KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(),
                        new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.ARTIFACTS_STORED, Topics.BUILDS_FAILED));
            while (consumer.assignment().isEmpty()) {
                consumer.poll(Duration.ofMillis(100));
            }
            for (int run = 1; run <= runs; run++) {
                Path image = work.resolve("image-" + run + ".raw");
                writeRandom(image, size, run);

                Path copy = work.resolve("copy-" + run + ".raw");
                long copyStart = System.nanoTime();
                if (new ProcessBuilder("cp", image.toString(), copy.toString()).inheritIO().start().waitFor() != 0) {
                    throw new IllegalStateException("cp failed");
                }
                double copySeconds = (System.nanoTime() - copyStart) / 1e9;
                Files.delete(copy);

                String awsKey = "bench-awscli/" + UUID.randomUUID() + "/disk.raw";
                long awsStart = System.nanoTime();
                aws(endpoints, "s3", "cp", "--only-show-errors", image.toString(), "s3://" + bucket + "/" + awsKey);
                double awsSeconds = (System.nanoTime() - awsStart) / 1e9;
                staging.delete(awsKey);

                String buildId = UUID.randomUUID().toString();
                BuildCoordinates coordinates = new BuildCoordinates(buildId, "bench", "bench", 1, "cd".repeat(32),
                        new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                        new BuildCoordinates.Target("qemu", "raw"), new BuildCoordinates.Pack("p", "1.0.0", "P"));
                // artifact-service believes a build.completed only for a build it saw requested.
                send(producer, Topics.BUILDS_REQUESTED, buildId, EventTypes.BUILD_REQUESTED, EventJson.write(
                        new BuildRequested(coordinates, new BuildRequested.BaseImage("bench"), List.of())));
                String key = "builds/" + buildId + "/disk.raw";
                long uploadStart = System.nanoTime();
                StagingStore.Upload upload = staging.upload(image, key);
                double uploadSeconds = (System.nanoTime() - uploadStart) / 1e9;
                Files.delete(image);

                BuildCompleted completed = new BuildCompleted(coordinates,
                        new BuildCompleted.StagedObject(bucket, key, upload.sha256(), size, "raw"),
                        "native/bench", 1);
                long promoteStart = System.nanoTime();
                send(producer, Topics.BUILDS_COMPLETED, buildId, EventTypes.BUILD_COMPLETED, EventJson.write(completed));
                awaitStored(consumer, buildId);
                double promoteSeconds = (System.nanoTime() - promoteStart) / 1e9;

                double mib = size / 1024.0 / 1024.0;
                double ratio = awsSeconds / (uploadSeconds + promoteSeconds);
                ratios.add(ratio);
                System.out.printf("| %d | %.0f | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f | %.2f |%n", run, mib, copySeconds,
                        awsSeconds, uploadSeconds, promoteSeconds, mib / (uploadSeconds + promoteSeconds),
                        mib / awsSeconds, ratio);
            }
        }
        Collections.sort(ratios);
        System.out.printf("median ratio (awscli upload time / (upload + promotion)): %.2f%n", ratios.get(ratios.size() / 2));
        // The MinIO client's HTTP dispatcher threads would keep the program alive for their idle minute.
        System.exit(0);
    }

    /**
     * Runs awscli against the stack's S3 endpoint with its credentials. S3Proxy rejects the CRC
     * checksums newer awscli sends by default, so checksums are sent only where S3 requires them.
     */
    private static void aws(Properties endpoints, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("aws", "--endpoint-url", endpoints.getProperty("s3.endpoint")));
        command.addAll(List.of(args));
        ProcessBuilder process = new ProcessBuilder(command).inheritIO();
        Map<String, String> env = process.environment();
        env.put("AWS_ACCESS_KEY_ID", endpoints.getProperty("s3.access-key"));
        env.put("AWS_SECRET_ACCESS_KEY", endpoints.getProperty("s3.secret-key"));
        env.put("AWS_DEFAULT_REGION", endpoints.getProperty("s3.region"));
        env.put("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required");
        env.put("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required");
        env.put("AWS_CONFIG_FILE", "/dev/null");
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        if (process.start().waitFor() != 0) {
            throw new IllegalStateException("aws " + String.join(" ", args) + " failed");
        }
    }

    private static void send(KafkaProducer<String, String> producer, String topic, String buildId, String type,
            String json) throws Exception {
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, buildId, json);
        record.headers().add("ce_specversion", bytes("1.0")).add("ce_id", bytes(UUID.randomUUID().toString()))
                .add("ce_type", bytes(type)).add("ce_source", bytes("urn:byoos:bench"))
                .add("content-type", bytes("application/json"));
        producer.send(record).get();
    }

    private static void awaitStored(KafkaConsumer<String, String> consumer, String buildId) {
        while (true) {
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(50))) {
                if (buildId.equals(record.key()) && record.topic().equals(Topics.BUILDS_FAILED)) {
                    throw new IllegalStateException("artifact-service failed build " + buildId + ": " + record.value());
                }
                if (buildId.equals(record.key())) {
                    return;
                }
            }
        }
    }

    private static void writeRandom(Path file, long size, long seed) throws Exception {
        byte[] block = new byte[4 * 1024 * 1024];
        SplittableRandom random = new SplittableRandom(seed ^ System.nanoTime());
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < size; written += block.length) {
                random.nextBytes(block);
                out.write(block, 0, (int) Math.min(block.length, size - written));
            }
        }
    }

    private static byte[] bytes(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
