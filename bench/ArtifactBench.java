import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
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

import io.minio.MinioClient;
import io.minio.PutObjectArgs;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;

/**
 * Upload + promotion throughput of artifact-service against a plain disk copy of the same file
 * (single-file program; bench/artifact-promotion.sh runs it with artifact-service's jars).
 *
 * <p>Each run writes a fresh file of random bytes (untimed: every run's digest is new, so nothing
 * is skipped as already stored), then times (1) {@code cp} of the file, (2) its upload to the
 * staging bucket as build-worker does it (MinIO client, 64 MiB parts, sha256 computed while
 * uploading), and (3) from sending build.completed to receiving artifact.stored: artifact-service's
 * streaming verification and server-side promotion.
 *
 * usage: java -cp 'artifact-service/target/quarkus-app/lib/main/*' bench/ArtifactBench.java ENDPOINTS_PROPERTIES WORK_DIR SIZE_MIB RUNS
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
        MinioClient s3 = MinioClient.builder().endpoint(endpoints.getProperty("s3.endpoint"))
                .region(endpoints.getProperty("s3.region"))
                .credentials(endpoints.getProperty("s3.access-key"), endpoints.getProperty("s3.secret-key")).build();
        String bucket = endpoints.getProperty("s3.bucket.staging");
        // The bench plays build-worker (build.completed) and reads artifact.stored: the stack's admin may do both.
        Map<String, Object> kafka = Map.of(
                "bootstrap.servers", endpoints.getProperty("kafka.bootstrap.servers"),
                "security.protocol", endpoints.getProperty("kafka.security.protocol"),
                "sasl.mechanism", endpoints.getProperty("kafka.sasl.mechanism"),
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" "
                        + "password=\"" + endpoints.getProperty("kafka.password.admin") + "\";");

        System.out.printf("| run | size (MiB) | cp (s) | upload (s) | verify + promote (s) | upload + promotion (MiB/s) | cp (MiB/s) | ratio |%n");
        System.out.printf("|---|---|---|---|---|---|---|---|%n");
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
            consumer.subscribe(List.of(Topics.ARTIFACTS_STORED));
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

                String buildId = UUID.randomUUID().toString();
                String key = "builds/" + buildId + "/disk.raw";
                long uploadStart = System.nanoTime();
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                try (InputStream in = new DigestInputStream(Files.newInputStream(image), digest)) {
                    s3.putObject(PutObjectArgs.builder().bucket(bucket).object(key).stream(in, size, 64L * 1024 * 1024).build());
                }
                double uploadSeconds = (System.nanoTime() - uploadStart) / 1e9;
                Files.delete(image);

                BuildCompleted completed = new BuildCompleted(new BuildCoordinates(buildId, "bench", "bench", 1,
                        "cd".repeat(32), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                        new BuildCoordinates.Target("qemu", "raw"), new BuildCoordinates.Pack("p", "1.0.0", "P")),
                        new BuildCompleted.StagedObject(bucket, key, HexFormat.of().formatHex(digest.digest()), size, "raw"),
                        "native/bench", 1);
                long promoteStart = System.nanoTime();
                ProducerRecord<String, String> record = new ProducerRecord<>(Topics.BUILDS_COMPLETED, buildId,
                        EventJson.write(completed));
                record.headers().add("ce_specversion", bytes("1.0")).add("ce_id", bytes(UUID.randomUUID().toString()))
                        .add("ce_type", bytes(EventTypes.BUILD_COMPLETED)).add("ce_source", bytes("urn:byoos:bench"))
                        .add("content-type", bytes("application/json"));
                producer.send(record).get();
                awaitStored(consumer, buildId);
                double promoteSeconds = (System.nanoTime() - promoteStart) / 1e9;

                double mib = size / 1024.0 / 1024.0;
                double ratio = copySeconds / (uploadSeconds + promoteSeconds);
                ratios.add(ratio);
                System.out.printf("| %d | %.0f | %.2f | %.2f | %.2f | %.0f | %.0f | %.2f |%n", run, mib, copySeconds,
                        uploadSeconds, promoteSeconds, mib / (uploadSeconds + promoteSeconds), mib / copySeconds, ratio);
            }
        }
        Collections.sort(ratios);
        System.out.printf("median ratio (upload + promotion throughput / cp throughput): %.2f%n", ratios.get(ratios.size() / 2));
    }

    private static void awaitStored(KafkaConsumer<String, String> consumer, String buildId) {
        while (true) {
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(50))) {
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
