import dev.byoos.devstack.DevStack;
import dev.byoos.devstack.Endpoints;
import dev.byoos.devstack.KafkaCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.Blob;
import org.jclouds.s3.reference.S3Constants;

/**
 * The fault-injection suite (single-file program, run with the devstack jar on the class path:
 * java -cp deploy/devstack/target/byoos-devstack.jar bench/FaultBench.java ...; bench/faults.sh
 * starts the stack and runs it, FaultSystemTest runs it on a shorter fault list).
 *
 * <p>Submits a steady stream of distinct specs to spec-service while it injects faults one after
 * the other (a fault joined with {@code +} runs at the same time as the one before it), each
 * once the pipeline publishes again after the previous one:
 * <ul>
 *   <li>{@code kill:SERVICE} kill -9 of build-worker (while a build is BUILDING), artifact-service
 *       (while one is BUILT: promotion), pack-publisher (while one is STORED: the push),
 *       {@code kill:spec-service-intake} (while POSTs are in flight) and
 *       {@code kill:spec-service-relay} (right after a burst was accepted: its outbox unsent); the
 *       devstack's supervisor starts the service again;</li>
 *   <li>{@code outage:SERVER} kafka, postgres, s3 or registry stopped for the outage time through
 *       the devstack's outage switch, data and port kept;</li>
 *   <li>{@code rewind:SERVICE} duplicate deliveries: the service is killed, its consumer groups
 *       emptied and their offsets moved back to where they were a minute earlier, and it restarts;</li>
 *   <li>{@code poison} on every topic a service consumes: not a CloudEvent, an unknown type, an
 *       oversized record, a real event for an unknown build id, a real event re-sent with another
 *       id, another team and another checksum (contradicting the build's record).</li>
 * </ul>
 * Then it lets the pipeline settle and checks every accepted build on its own, against the
 * databases (JDBC), S3 (the artifact's object and its sha256) and the registry (tags and manifest
 * over HTTP), and prints one line; the definitions are in docs/benchmarks.md. Exit code 0 only
 * when nothing was lost, duplicated or stuck.
 *
 * usage: java ... bench/FaultBench.java STACK_DATA_DIR TOKEN TEAM FAULTS [OUTAGE_SECONDS] [SUBMIT_INTERVAL_MS] [SETTLE_SECONDS]
 */
public class FaultBench {

    static final String RESULT_PREFIX = "faults ";
    static final Set<String> FINAL = Set.of("PUBLISHED", "FAILED", "CANCELLED");
    /** Every topic some service consumes (their application.properties), so every consumer meets poison. */
    static final List<String> CONSUMED_TOPICS = List.of("byoos.specs.submitted", "byoos.builds.requested",
            "byoos.builds.cancelled", "byoos.builds.started", "byoos.builds.progress", "byoos.builds.completed",
            "byoos.builds.failed", "byoos.artifacts.stored", "byoos.packs.published", "byoos.packs.retired");
    /** The consumer groups each service commits offsets in (the build-worker's cancellations group is per process). */
    static final Map<String, List<String>> GROUPS = Map.of(
            "build-worker", List.of("build-worker"),
            "artifact-service", List.of("artifact-service", "artifact-service.requests", "artifact-service.packs"),
            "pack-publisher", List.of("pack-publisher"),
            "spec-service", List.of("spec-service.pipeline-events"));
    /** The state a service works on, so that its kill lands mid-work: mid-build, mid-promotion, mid-push. */
    static final Map<String, String> WORKING_STATE = Map.of("build-worker", "BUILDING", "artifact-service", "BUILT",
            "pack-publisher", "STORED");
    /**
     * Records each partition of a rewound group is moved back by. A count, not a time: a consumer
     * whose commits trail its work (a throttled commit, a paused partition) may have committed
     * nothing of the last minute, and a rewind by time then moves it back by nothing.
     */
    static final int REWIND_RECORDS = 20;
    static final Duration RECOVERY_WAIT = Duration.ofMinutes(3);
    static final Duration MID_WORK_WAIT = Duration.ofSeconds(30);
    static final int OVERSIZED_BYTES = 900_000;
    /** One submission in this many is a real build, the rest synthetic. */
    static final int REAL_EVERY = 15;
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern SHA256 = Pattern.compile("\"sha256\"\\s*:\\s*\"[0-9a-f]{64}\"");
    static final Pattern TEAM = Pattern.compile("\"team\"\\s*:\\s*\"[^\"]*\"");
    static final Pattern SIGNATURE_TAG = Pattern.compile("sha256-[0-9a-f]{64}\\.sig");
    /** The pipeline counts as idle once none of the accepted builds changed state for this long. */
    static final Duration IDLE = Duration.ofSeconds(60);

    final Path dataDir;
    final Endpoints endpoints;
    final String authorization;
    final String team;
    /** The team whose builds are real (the worker's synthetic builder builds only {@link #team}'s). */
    final String realTeam;
    final Duration outage;
    final Duration submitInterval;
    final Duration settle;
    final String specService;
    final Properties kafka = new Properties();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    final String template;
    final String realTemplate;
    /** Accepted builds that were built for real: every {@value #REAL_EVERY}th submission. */
    final Set<String> realBuilds = ConcurrentHashMap.newKeySet();
    final String run = "faults-" + Long.toString(System.currentTimeMillis() / 1000, 36);

    /** Build id → when its spec was accepted. */
    final Map<String, Instant> accepted = new ConcurrentHashMap<>();
    final Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
    /** When the harness saw each byoos.packs.published record. */
    final List<Instant> publishedAt = new CopyOnWriteArrayList<>();
    final List<String> faultLog = new CopyOnWriteArrayList<>();
    int submitted;

    FaultBench(String[] args) throws IOException {
        dataDir = Path.of(args[0]).toAbsolutePath();
        authorization = "Bearer " + args[1];
        team = args[2];
        realTeam = team + "-real";
        outage = Duration.ofSeconds(args.length > 4 ? Long.parseLong(args[4]) : 30);
        submitInterval = Duration.ofMillis(args.length > 5 ? Long.parseLong(args[5]) : 1000);
        settle = Duration.ofSeconds(args.length > 6 ? Long.parseLong(args[6]) : 180);
        endpoints = Endpoints.load(dataDir.resolve(Endpoints.FILE_NAME));
        Properties services = new Properties();
        try (var reader = Files.newBufferedReader(dataDir.resolve("services.properties"))) {
            services.load(reader);
        }
        specService = services.getProperty("spec-service.url");
        // The harness writes poison and rewinds groups: the stack's admin principal.
        kafka.putAll(endpoints.kafkaCredentials().clientConfig(KafkaCredentials.ADMIN));
        kafka.put("bootstrap.servers", endpoints.kafkaBootstrapServers());
        String example = Files.readString(Path.of("examples/debian-12-qemu.yaml"));
        template = example.replace("team: platform", "team: " + team);
        realTemplate = example.replace("team: platform", "team: " + realTeam);
    }

    public static void main(String[] args) throws Exception {
        FaultBench bench = new FaultBench(args);
        List<List<String>> faults = new ArrayList<>();
        for (String step : args[3].split(",")) {
            faults.add(List.of(step.trim().split("\\+")));
        }
        System.exit(bench.run(faults) ? 0 : 1);
    }

    boolean run(List<List<String>> steps) throws Exception {
        AtomicBoolean submitting = new AtomicBoolean(true);
        Thread submitter = new Thread(() -> submitSteadily(submitting), "fault-bench-submitter");
        Thread watcher = new Thread(this::watchPublished, "fault-bench-published");
        watcher.setDaemon(true);
        watcher.start();
        submitter.start();
        int faults = 0;
        double longestRecovery = 0;
        String longestFault = "-";
        awaitPublishing(Instant.now(), "the start");
        for (List<String> step : steps) {
            List<Thread> overlapping = new ArrayList<>();
            for (String fault : step) {
                faults++;
                Thread thread = new Thread(() -> inject(fault), "fault-" + fault);
                thread.start();
                overlapping.add(thread);
            }
            for (Thread thread : overlapping) {
                thread.join();
            }
            Instant ended = Instant.now();
            Optional<Duration> recovery = awaitPublishing(ended, String.join("+", step));
            double seconds = recovery.map(d -> d.toMillis() / 1000.0).orElse(RECOVERY_WAIT.toSeconds() * 1.0);
            log("%s over; publishing again after %s", String.join("+", step),
                    recovery.map(d -> String.format("%.1f s", d.toMillis() / 1000.0)).orElse("(not within "
                            + RECOVERY_WAIT.toSeconds() + " s)"));
            if (seconds > longestRecovery) {
                longestRecovery = seconds;
                longestFault = String.join("+", step);
            }
        }
        submitting.set(false);
        submitter.join();
        log("faults over; %d specs submitted, %d builds accepted, answers %s; settling (up to %d s)", submitted,
                accepted.size(), new TreeMap<>(statuses), settle.toSeconds());
        return check(faults, longestRecovery, longestFault);
    }

    // ---- load -------------------------------------------------------------------------------

    void submitSteadily(AtomicBoolean submitting) {
        while (submitting.get()) {
            submitOne();
            try {
                Thread.sleep(submitInterval.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One new spec (its own name and pack: a new build, never a reused one); its build id when accepted. */
    Optional<String> submitOne() {
        String name;
        boolean real;
        synchronized (this) {
            real = submitted % REAL_EVERY == REAL_EVERY - 1;
            name = run + "-" + submitted++;
        }
        String spec = (real ? realTemplate : template).replace("name: debian-12-node", "name: " + name)
                .replace("name: byoos-debian-12\n", "name: " + name + "\n");
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(specService + "/api/v1/specs"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/yaml").header("Authorization", authorization)
                    .POST(HttpRequest.BodyPublishers.ofString(spec)).build(), HttpResponse.BodyHandlers.ofString());
            statuses.merge(response.statusCode(), 1, Integer::sum);
            if (response.statusCode() == 201) {
                String id = JSON.readTree(response.body()).path("builds").get(0).path("id").asText();
                accepted.put(id, Instant.now());
                if (real) {
                    realBuilds.add(id);
                }
                return Optional.of(id);
            }
        } catch (IOException e) {
            statuses.merge(-1, 1, Integer::sum);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.empty();
    }

    /** Reads byoos.packs.published from its end for the whole run: recovery is measured on it. */
    void watchPublished() {
        Properties config = consumerConfig();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = consumer.partitionsFor("byoos.packs.published").stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            while (true) {
                for (ConsumerRecord<byte[], byte[]> ignored : consumer.poll(Duration.ofMillis(500))) {
                    publishedAt.add(Instant.now());
                }
            }
        }
    }

    /** How long after {@code since} a pack was published; empty when none was within {@link #RECOVERY_WAIT}. */
    Optional<Duration> awaitPublishing(Instant since, String after) throws InterruptedException {
        long deadline = System.nanoTime() + RECOVERY_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Instant> first = publishedAt.stream().filter(t -> t.isAfter(since)).findFirst();
            if (first.isPresent()) {
                return Optional.of(Duration.between(since, first.get()));
            }
            Thread.sleep(200);
        }
        log("nothing published within %d s after %s", RECOVERY_WAIT.toSeconds(), after);
        return Optional.empty();
    }

    // ---- faults -----------------------------------------------------------------------------

    void inject(String fault) {
        try {
            String[] parts = fault.split(":", 2);
            switch (parts[0]) {
                case "kill" -> kill(parts[1]);
                case "outage" -> outage(parts[1]);
                case "rewind" -> rewind(parts[1]);
                case "poison" -> poison();
                default -> throw new IllegalArgumentException("unknown fault " + fault
                        + " (kill:SERVICE, outage:SERVER, rewind:SERVICE, poison)");
            }
        } catch (Exception e) {
            log("fault %s could not be injected: %s", fault, e);
        }
    }

    void kill(String target) throws Exception {
        switch (target) {
            case "spec-service-intake" -> {
                // POSTs in flight when the process dies: some answered, some cut off, none half-written.
                List<Thread> posts = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    Thread post = new Thread(this::submitOne);
                    post.start();
                    posts.add(post);
                }
                Thread.sleep(20);
                killHard("spec-service", "mid-intake");
                for (Thread post : posts) {
                    post.join();
                }
            }
            case "spec-service-relay" -> {
                // Accepted a moment ago: their build requests are outbox rows the relay has not sent yet.
                for (int i = 0; i < 5; i++) {
                    submitOne();
                }
                killHard("spec-service", "mid-relay");
            }
            default -> {
                String state = WORKING_STATE.get(target);
                if (state == null) {
                    throw new IllegalArgumentException("unknown service " + target);
                }
                boolean midWork = awaitSomeBuildIn(state);
                killHard(target, midWork ? "while a build was " + state : "(no build seen " + state + " in "
                        + MID_WORK_WAIT.toSeconds() + " s)");
            }
        }
        awaitRestarted(target.startsWith("spec-service") ? "spec-service" : target);
    }

    /** True as soon as one of the latest accepted builds is in the state (in spec-service's database). */
    boolean awaitSomeBuildIn(String state) throws Exception {
        long deadline = System.nanoTime() + MID_WORK_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection db = database("spec_service");
                    PreparedStatement query = db.prepareStatement("select count(*) from build where state = ? and team in (?, ?)")) {
                query.setString(1, state);
                query.setString(2, team);
                query.setString(3, realTeam);
                try (ResultSet rows = query.executeQuery()) {
                    if (rows.next() && rows.getInt(1) > 0) {
                        return true;
                    }
                }
            } catch (SQLException e) {
                // PostgreSQL may be in an overlapping outage: look again.
            }
            Thread.sleep(20);
        }
        return false;
    }

    void killHard(String service, String when) {
        List<ProcessHandle> processes = serviceProcesses(service);
        if (processes.isEmpty()) {
            throw new IllegalStateException(service + " is not running");
        }
        for (ProcessHandle process : processes) {
            // Its children die with it, as a pod's would.
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            log("kill -9 %s (pid %d) %s", service, process.pid(), when);
        }
    }

    /** The service's JVMs among the devstack's children (never another stack's on this machine). */
    List<ProcessHandle> serviceProcesses(String service) {
        String jar = "/" + service + "/target/quarkus-app/quarkus-run.jar";
        return ProcessHandle.of(endpoints.devstackPid()).stream().flatMap(ProcessHandle::children)
                .filter(p -> p.info().commandLine().map(c -> c.contains(jar)).orElse(false)).toList();
    }

    /** Until the supervisor has started the service again and it answers ready. */
    void awaitRestarted(String service) throws Exception {
        Properties services = new Properties();
        try (var reader = Files.newBufferedReader(dataDir.resolve("services.properties"))) {
            services.load(reader);
        }
        String url = services.getProperty(service + ".url");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        Thread.sleep(1500);
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(url + "/q/health/live")).timeout(Duration.ofSeconds(5))
                        .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    log("%s restarted", service);
                    return;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(250);
        }
        log("%s did not come back within 3 min", service);
    }

    void outage(String server) throws Exception {
        if (!DevStack.OUTAGE_SERVERS.contains(server)) {
            throw new IllegalArgumentException("unknown server " + server + "; known: " + DevStack.OUTAGE_SERVERS);
        }
        Path outageFile = dataDir.resolve(server + DevStack.OUTAGE_FILE_SUFFIX);
        Files.writeString(outageFile, server + " is down until this file is deleted\n");
        log("%s down for %d s", server, outage.toSeconds());
        Thread.sleep(outage.toMillis());
        Files.delete(outageFile);
        log("%s up again", server);
    }

    /**
     * Duplicate deliveries: the service is killed, each of its groups emptied of the dead member
     * and each partition moved back {@link #REWIND_RECORDS} records; the restarted service reads
     * them again.
     */
    void rewind(String service) throws Exception {
        List<String> groups = GROUPS.get(service);
        if (groups == null) {
            throw new IllegalArgumentException("unknown service " + service + "; known: " + GROUPS.keySet());
        }
        killHard(service, "to rewind its consumer groups");
        try (Admin admin = Admin.create(kafka)) {
            for (String group : groups) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                if (committed.isEmpty()) {
                    continue;
                }
                try {
                    admin.removeMembersFromConsumerGroup(group, new RemoveMembersFromConsumerGroupOptions())
                            .all().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // Already empty.
                }
                Map<TopicPartition, OffsetAndMetadata> rewound = new LinkedHashMap<>();
                committed.forEach((partition, offset) -> rewound.put(partition,
                        new OffsetAndMetadata(Math.max(0, offset.offset() - REWIND_RECORDS))));
                admin.alterConsumerGroupOffsets(group, rewound).all().get(30, TimeUnit.SECONDS);
                long records = rewound.entrySet().stream()
                        .mapToLong(e -> committed.get(e.getKey()).offset() - e.getValue().offset()).sum();
                log("rewound %s by %d records", group, records);
            }
        }
        awaitRestarted(service);
    }

    /** Five kinds of poison on every consumed topic, written as the admin principal. */
    void poison() throws Exception {
        Properties config = new Properties();
        config.putAll(kafka);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(2 * OVERSIZED_BYTES));
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        int sent = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config)) {
            for (String topic : CONSUMED_TOPICS) {
                String key = UUID.randomUUID().toString();
                List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
                records.add(new ProducerRecord<>(topic, null, bytes(key), bytes("this is not a CloudEvent {"),
                        new RecordHeaders()));
                records.add(cloudEvent(topic, key, "dev.byoos.poison.unknown.v1", "{\"buildId\":\"" + key + "\"}"));
                records.add(cloudEvent(topic, key, typeOf(topic), "{\"padding\":\"" + "x".repeat(OVERSIZED_BYTES) + "\"}"));
                Optional<ConsumerRecord<byte[], byte[]>> real = latestRecord(topic);
                if (real.isPresent()) {
                    ConsumerRecord<byte[], byte[]> model = real.get();
                    String realKey = new String(model.key(), StandardCharsets.UTF_8);
                    String payload = new String(model.value(), StandardCharsets.UTF_8);
                    String unknown = UUID.randomUUID().toString();
                    records.add(copy(model, unknown, ownPack(topic, payload.replace(realKey, unknown))));
                    String contradicting = SHA256.matcher(payload).replaceAll("\"sha256\":\"" + "0".repeat(64) + "\"");
                    contradicting = TEAM.matcher(contradicting).replaceAll("\"team\":\"intruder\"");
                    records.add(copy(model, realKey, contradicting));
                }
                for (ProducerRecord<byte[], byte[]> record : records) {
                    producer.send(record).get(60, TimeUnit.SECONDS);
                    sent++;
                }
            }
        }
        log("poison: %d records on %d topics", sent, CONSUMED_TOPICS.size());
    }

    /**
     * A build request for an unknown build id is no poison to the worker: it is a valid request
     * (only spec-service may write the topic; this harness is the admin), so it is built and
     * published. Under the real build's pack name it could claim that pack version first, and the
     * real build would fail with PACK_VERSION_CONFLICT (seen in a CI run): it gets a pack of its own.
     * So does a stored artifact of an unknown build id: pack-publisher keeps no record of builds (only
     * artifact-service may write the topic, after checking the build against its own), so it publishes
     * it, and would race the real build for its version while the real one waits for the registry.
     */
    static String ownPack(String topic, String payload) throws IOException {
        if (!topic.equals("byoos.builds.requested") && !topic.equals("byoos.artifacts.stored")) {
            return payload;
        }
        JsonNode root = JSON.readTree(payload);
        for (JsonNode pack : root.findValues("pack")) {
            if (pack instanceof com.fasterxml.jackson.databind.node.ObjectNode object && pack.hasNonNull("name")) {
                object.put("name", pack.get("name").asText() + "-unknown-build");
            }
        }
        return JSON.writeValueAsString(root);
    }

    static String typeOf(String topic) {
        return switch (topic) {
            case "byoos.builds.requested" -> "dev.byoos.build.requested.v1";
            case "byoos.builds.cancelled" -> "dev.byoos.build.cancelled.v1";
            case "byoos.builds.started" -> "dev.byoos.build.started.v1";
            case "byoos.builds.progress" -> "dev.byoos.build.progress.v1";
            case "byoos.builds.completed" -> "dev.byoos.build.completed.v1";
            case "byoos.builds.failed" -> "dev.byoos.build.failed.v1";
            case "byoos.artifacts.stored" -> "dev.byoos.artifact.stored.v1";
            case "byoos.packs.published" -> "dev.byoos.pack.published.v1";
            case "byoos.packs.retired" -> "dev.byoos.pack.revoked.v1";
            default -> "dev.byoos.spec.submitted.v1";
        };
    }

    static ProducerRecord<byte[], byte[]> cloudEvent(String topic, String key, String type, String payload) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("ce_specversion", bytes("1.0"));
        headers.add("ce_id", bytes(UUID.randomUUID().toString()));
        headers.add("ce_type", bytes(type));
        headers.add("ce_source", bytes("/fault-bench"));
        headers.add("ce_time", bytes(Instant.now().toString()));
        headers.add("content-type", bytes("application/json"));
        return new ProducerRecord<>(topic, null, bytes(key), bytes(payload), headers);
    }

    /** The model's headers with a new CloudEvent id: a new event, not a redelivery of the old one. */
    static ProducerRecord<byte[], byte[]> copy(ConsumerRecord<byte[], byte[]> model, String key, String payload) {
        RecordHeaders headers = new RecordHeaders();
        model.headers().forEach(header -> {
            if (!header.key().equals("ce_id")) {
                headers.add(header);
            }
        });
        headers.add("ce_id", bytes(UUID.randomUUID().toString()));
        return new ProducerRecord<>(model.topic(), null, bytes(key), bytes(payload), headers);
    }

    Optional<ConsumerRecord<byte[], byte[]>> latestRecord(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            for (TopicPartition partition : partitions) {
                if (ends.get(partition) > 0) {
                    consumer.assign(List.of(partition));
                    consumer.seek(partition, ends.get(partition) - 1);
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofSeconds(5))) {
                        // A record the harness itself wrote is no model of a real event.
                        if (record.headers().lastHeader("ce_source") == null
                                || !"/fault-bench".equals(new String(record.headers().lastHeader("ce_source").value(),
                                StandardCharsets.UTF_8))) {
                            return Optional.of(record);
                        }
                    }
                }
            }
            return Optional.empty();
        }
    }

    Properties consumerConfig() {
        Properties config = new Properties();
        config.putAll(kafka);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return config;
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    // ---- the check --------------------------------------------------------------------------

    /** What the databases, S3 and the registry hold for one build. */
    record Holding(String id, String state, Instant updatedAt, String failureCode, String failureReason,
            String packReference, int artifactRows, String artifactBucket, String artifactKey, String artifactSha256,
            int packRows) {
    }

    boolean check(int faults, double longestRecovery, String longestFault) throws Exception {
        // Settles until every build is final, or nothing moved for IDLE (nothing will), or the settle time is over.
        Map<String, Holding> builds = holdings();
        long deadline = System.nanoTime() + settle.toNanos();
        while (builds.values().stream().anyMatch(b -> !FINAL.contains(b.state())) && System.nanoTime() < deadline
                && !idle(builds)) {
            Thread.sleep(5000);
            builds = holdings();
        }
        boolean idle = idle(builds);
        int published = 0;
        int realPublished = 0;
        int failed = 0;
        List<String> failedWithReason = new ArrayList<>();
        List<String> lost = new ArrayList<>();
        List<String> duplicated = new ArrayList<>();
        List<String> stuck = new ArrayList<>();
        try (BlobStoreContext s3 = s3()) {
            for (String id : accepted.keySet()) {
                Holding build = builds.get(id);
                if (build == null) {
                    lost.add(id + ": accepted (201) but spec-service has no such build");
                    continue;
                }
                int tags = build.packReference() == null ? 0 : registryTags(build.packReference());
                if (build.artifactRows() > 1 || build.packRows() > 1 || tags > 1) {
                    duplicated.add(id + ": " + build.artifactRows() + " artifact rows, " + build.packRows()
                            + " pack catalog rows, " + tags + " registry tags");
                    continue;
                }
                switch (build.state()) {
                    case "PUBLISHED" -> {
                        Optional<String> missing = publishedWithout(s3, build, tags);
                        if (missing.isPresent()) {
                            lost.add(id + ": PUBLISHED but " + missing.get());
                        } else {
                            published++;
                            if (realBuilds.contains(id)) {
                                realPublished++;
                            }
                        }
                    }
                    case "FAILED", "CANCELLED" -> {
                        if (build.packRows() > 0 || tags > 0) {
                            duplicated.add(id + ": " + build.state() + " yet its pack is published (" + build.packRows()
                                    + " catalog rows, " + tags + " registry tags)");
                        } else if (build.state().equals("FAILED") && build.failureCode() == null) {
                            lost.add(id + ": FAILED without a reason");
                        } else {
                            failed++;
                            failedWithReason.add(id + ": " + build.state() + " " + build.failureCode() + ": "
                                    + build.failureReason());
                        }
                    }
                    default -> {
                        if (idle) {
                            lost.add(id + ": " + build.state() + " since " + build.updatedAt()
                                    + ", and no accepted build changed state for " + IDLE.toSeconds() + " s");
                        } else {
                            stuck.add(id + ": " + build.state() + " after the settle time (last change "
                                    + build.updatedAt() + "; the pipeline still moves)");
                        }
                    }
                }
            }
        }
        // Not a failure of the suite (a fault may make a build fail, with its reason), but which and why.
        explain("failed with a reason", failedWithReason);
        explain("lost", lost);
        explain("duplicated", duplicated);
        explain("stuck", stuck);
        // Intake under faults answers 201, 4xx or 503 with Retry-After, or finds spec-service restarting
        // (no answer); a 5xx other than 503 is a failure the suite reports as such.
        long serverErrors = statuses.entrySet().stream().filter(e -> e.getKey() >= 500 && e.getKey() != 503)
                .mapToLong(e -> e.getValue().longValue()).sum();
        if (serverErrors > 0) {
            System.out.printf("server errors at intake: %d (answers %s)%n", serverErrors, new TreeMap<>(statuses));
        }
        System.out.printf("real builds (the native builder, a skeleton base): %d accepted, %d published exactly once%n",
                realBuilds.size(), realPublished);
        System.out.println("fault log:");
        faultLog.forEach(line -> System.out.println("  " + line));
        System.out.printf("longest recovery after: %s%n", longestFault);
        System.out.printf("%s%d, builds %d: published exactly once %d, failed with a reason %d, lost %d, duplicated %d,"
                + " stuck %d, longest recovery %.0f s%n", RESULT_PREFIX, faults, accepted.size(), published, failed,
                lost.size(), duplicated.size(), stuck.size(), longestRecovery);
        return lost.isEmpty() && duplicated.isEmpty() && stuck.isEmpty() && serverErrors == 0;
    }

    /** No accepted build changed state for {@link #IDLE}: whatever is not final now is not progressing. */
    boolean idle(Map<String, Holding> builds) {
        Instant latest = builds.values().stream().map(Holding::updatedAt).max(Instant::compareTo).orElse(Instant.EPOCH);
        return latest.isBefore(Instant.now().minus(IDLE));
    }

    /** What a PUBLISHED build lacks: its artifact in S3 with the recorded sha256, its pack in the registry. */
    Optional<String> publishedWithout(BlobStoreContext s3, Holding build, int tags) throws Exception {
        if (build.artifactRows() == 0) {
            return Optional.of("artifact-service has no artifact for it");
        }
        Blob blob = s3.getBlobStore().getBlob(build.artifactBucket(), build.artifactKey());
        if (blob == null) {
            return Optional.of("s3://" + build.artifactBucket() + "/" + build.artifactKey() + " does not exist");
        }
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        try (InputStream in = blob.getPayload().openStream()) {
            byte[] buffer = new byte[65536];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha256.update(buffer, 0, n);
            }
        }
        String actual = HexFormat.of().formatHex(sha256.digest());
        if (!actual.equals(build.artifactSha256())) {
            return Optional.of("its object's sha256 is " + actual + ", recorded " + build.artifactSha256());
        }
        if (build.packRows() == 0) {
            return Optional.of("pack-publisher's catalog has no pack for it");
        }
        if (tags == 0 || !manifestExists(build.packReference())) {
            return Optional.of("the registry has no " + build.packReference());
        }
        return Optional.empty();
    }

    Map<String, Holding> holdings() throws SQLException {
        Map<String, Holding> builds = new LinkedHashMap<>();
        Map<String, String[]> artifacts = new ConcurrentHashMap<>();
        Map<String, Integer> artifactRows = new ConcurrentHashMap<>();
        Map<String, Integer> packRows = new ConcurrentHashMap<>();
        try (Connection db = database("artifact_service");
                ResultSet rows = db.createStatement().executeQuery(
                        "select build_id::text, bucket, object_key, sha256 from artifact")) {
            while (rows.next()) {
                artifactRows.merge(rows.getString(1), 1, Integer::sum);
                artifacts.put(rows.getString(1), new String[] {rows.getString(2), rows.getString(3), rows.getString(4)});
            }
        }
        try (Connection db = database("pack_publisher");
                ResultSet rows = db.createStatement().executeQuery("select build_id from pack_version")) {
            while (rows.next()) {
                packRows.merge(rows.getString(1), 1, Integer::sum);
            }
        }
        try (Connection db = database("spec_service");
                PreparedStatement query = db.prepareStatement("select id::text, state, updated_at, failure_code,"
                        + " failure_reason, pack_reference from build where team in (?, ?)")) {
            query.setString(1, team);
            query.setString(2, realTeam);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    String id = rows.getString(1);
                    String[] artifact = artifacts.getOrDefault(id, new String[3]);
                    builds.put(id, new Holding(id, rows.getString(2), rows.getTimestamp(3).toInstant(), rows.getString(4),
                            rows.getString(5), rows.getString(6), artifactRows.getOrDefault(id, 0), artifact[0],
                            artifact[1], artifact[2], packRows.getOrDefault(id, 0)));
                }
            }
        }
        return builds;
    }

    Connection database(String name) throws SQLException {
        return DriverManager.getConnection(endpoints.jdbcUrl(name), endpoints.postgresUsername(),
                endpoints.postgresPassword());
    }

    BlobStoreContext s3() {
        Properties overrides = new Properties();
        overrides.setProperty(S3Constants.PROPERTY_S3_VIRTUAL_HOST_BUCKETS, "false");
        return ContextBuilder.newBuilder("s3").endpoint(endpoints.s3Endpoint())
                .credentials(endpoints.s3AccessKey(), endpoints.s3SecretKey()).overrides(overrides)
                .buildView(BlobStoreContext.class);
    }

    /**
     * How many pack tags the pack's repository holds, its cosign signature tags ({@code sha256-<hex>.sig})
     * left out: every build here has a pack name of its own, so more than one is a duplicate.
     */
    int registryTags(String reference) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(endpoints.registryUrl() + "/v2/"
                + repository(reference) + "/tags/list")).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 404) {
            return 0;
        }
        int tags = 0;
        for (JsonNode tag : JSON.readTree(response.body()).path("tags")) {
            if (!SIGNATURE_TAG.matcher(tag.asText()).matches()) {
                tags++;
            }
        }
        return tags;
    }

    boolean manifestExists(String reference) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(endpoints.registryUrl() + "/v2/" + repository(reference)
                        + "/manifests/" + reference.substring(reference.lastIndexOf(':') + 1)))
                .header("Accept", "application/vnd.oci.image.manifest.v1+json")
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode() == 200;
    }

    /** host:port/path/name:tag → path/name. */
    static String repository(String reference) {
        String withoutHost = reference.substring(reference.indexOf('/') + 1);
        return withoutHost.substring(0, withoutHost.lastIndexOf(':'));
    }

    /** Each bad build with its history (spec-service's API) and the service log lines naming it. */
    void explain(String what, List<String> builds) throws Exception {
        for (String line : builds) {
            String id = line.substring(0, line.indexOf(':'));
            System.out.println(what + " " + line);
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(specService + "/api/v1/builds/"
                    + id)).header("Authorization", authorization).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
                JsonNode build = JSON.readTree(response.body());
                for (JsonNode transition : build.path("transitions")) {
                    System.out.println("    " + transition);
                }
                if (build.has("progress")) {
                    System.out.println("    progress " + build.path("progress"));
                }
            }
            try (Stream<Path> logs = Files.list(dataDir.resolve("logs"))) {
                for (Path log : logs.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
                    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                            .filter(l -> l.contains(id)).toList();
                    lines.subList(Math.max(0, lines.size() - 6), lines.size())
                            .forEach(l -> System.out.println("    " + log.getFileName() + ": "
                                    + (l.length() > 400 ? l.substring(0, 400) + "…" : l)));
                }
            }
        }
    }

    void log(String format, Object... args) {
        String line = String.format("%tT %s", Instant.now().toEpochMilli(), String.format(format, args));
        faultLog.add(line);
        System.out.println(line);
        System.out.flush();
    }
}
