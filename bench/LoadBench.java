import dev.byoos.devstack.Endpoints;
import dev.byoos.devstack.KafkaCredentials;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Load generator for the whole pipeline (single-file program, run with the devstack jar on the
 * class path for the Kafka client: java -cp deploy/devstack/target/byoos-devstack.jar bench/LoadBench.java ...).
 *
 * <p>Submits N distinct specs at a fixed rate through spec-service's REST API and follows every
 * build through the pipeline's topics, read by the harness itself: each stage's latency is the
 * difference between the ce_time (producer time) of its input and its output event, and
 * end-to-end runs from the moment the harness sent the POST to the moment it received
 * byoos.packs.published. Alongside, at the same rate on the same broker, it measures the floor:
 * a message relayed through as many Kafka hops as the pipeline has (build.requested,
 * build.completed, artifact.stored, pack.published), by trivial relays with the services' producer
 * settings (acks=all) and no work in between.
 *
 * <p>A warm-up of the same rate runs first (JIT, connection pools, consumer assignments) and is
 * not counted. All timestamps are wall-clock times of this one machine, so the services' ce_time
 * and the harness's own times are comparable.
 *
 * usage: java ... bench/LoadBench.java SPEC_SERVICE_URL KAFKA_BOOTSTRAP TEAM TOKEN N RATE WARMUP_N STACK_DATA_DIR
 */
public class LoadBench {

    static final String REQUESTED = "byoos.builds.requested";
    static final String STARTED = "byoos.builds.started";
    static final String COMPLETED = "byoos.builds.completed";
    static final String FAILED = "byoos.builds.failed";
    static final String STORED = "byoos.artifacts.stored";
    static final String PUBLISHED = "byoos.packs.published";
    static final List<String> PIPELINE_TOPICS = List.of(REQUESTED, STARTED, COMPLETED, FAILED, STORED, PUBLISHED);

    /** The pipeline's Kafka hops from the POST to the harness: requested, completed, stored, published. */
    static final int HOPS = 4;
    static final String FLOOR_TOPIC_PREFIX = "bench.floor.hop-";
    /** As many partitions as the pipeline's build topics (Topics.all()). */
    static final int FLOOR_PARTITIONS = 6;
    /** How long the harness waits for the last build after the last submission. */
    static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(5);
    /** After the last build: time for throttled commits and lingering work to finish, then the idle window. */
    static final Duration IDLE_SETTLE = Duration.ofSeconds(10);
    static final Duration IDLE_WINDOW = Duration.ofSeconds(30);

    static final Pattern SPEC_NAME = Pattern.compile("\"specName\"\\s*:\\s*\"([^\"]+)\"");
    static final Pattern DURATION_MILLIS = Pattern.compile("\"durationMillis\"\\s*:\\s*(\\d+)");
    static final Pattern FAILURE_CODE = Pattern.compile("\"code\"\\s*:\\s*\"([^\"]+)\"");

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String bootstrap = args[1];
        String team = args[2];
        String authorization = "Bearer " + args[3];
        int total = Integer.parseInt(args[4]);
        double rate = Double.parseDouble(args[5]);
        int warmup = Integer.parseInt(args[6]);
        String dataDir = args[7];
        // The bench creates its floor topics and reads every stage's topic: the stack's admin principal.
        Properties kafka = new Properties();
        kafka.putAll(Endpoints.load(Path.of(dataDir, Endpoints.FILE_NAME)).kafkaCredentials()
                .clientConfig(KafkaCredentials.ADMIN));
        kafka.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);

        String run = "load-" + Long.toString(System.currentTimeMillis() / 1000, 36);
        String template = Files.readString(Path.of("examples/debian-12-qemu.yaml"))
                .replace("team: platform", "team: " + team);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();

        createFloorTopics(kafka);
        try (PipelineRecorder pipeline = new PipelineRecorder(kafka);
                FloorChain floor = new FloorChain(kafka)) {
            System.out.printf("warm-up: %d specs at %.0f/s%n", warmup, rate);
            Submissions warm = submit(http, url, authorization, template, run + "-w", warmup, rate, floor);
            pipeline.awaitFinished(warm, DRAIN_TIMEOUT);
            floor.reset();

            System.out.printf("measured: %d specs at %.0f/s (%s-m-*)%n", total, rate, run);
            CpuAccount cpu = CpuAccount.start(dataDir);
            Submissions measured = submit(http, url, authorization, template, run + "-m", total, rate, floor);
            boolean allFinished = pipeline.awaitFinished(measured, DRAIN_TIMEOUT);
            floor.awaitDelivered(total, Duration.ofSeconds(30));
            report(measured, pipeline, floor, rate, allFinished);
            CpuAccount.Spent pipelineCpu = cpu.report();
            long published = pipeline.publishedCount(measured);
            System.out.printf(Locale.ROOT, "pipeline CPU per published build (every process but the harness and"
                    + " other work): %.1f ms (%d builds); without the JIT compiler threads: %.1f ms%n",
                    1000 * pipelineCpu.total() / Math.max(1, published), published,
                    1000 * pipelineCpu.withoutJit() / Math.max(1, published));

            // Idle: what the pipeline burns with nothing to do (pollers, heartbeats, metrics), after a pause
            // for the last commits and lingering work to settle.
            Thread.sleep(IDLE_SETTLE.toMillis());
            CpuAccount idle = CpuAccount.start(dataDir);
            Thread.sleep(IDLE_WINDOW.toMillis());
            System.out.printf("%nidle, %d s after the last build:", IDLE_SETTLE.toSeconds());
            CpuAccount.Spent idleCpu = idle.report();
            System.out.printf(Locale.ROOT, "pipeline CPU while idle: %.1f ms per second; without the JIT compiler"
                    + " threads: %.1f ms per second%n", 1000 * idleCpu.total() / IDLE_WINDOW.toSeconds(),
                    1000 * idleCpu.withoutJit() / IDLE_WINDOW.toSeconds());
        }
    }

    // ---- submission ---------------------------------------------------------------------------

    /**
     * What the harness sent: per spec name, when the POST started (wall clock); which specs were
     * accepted (201: their builds are followed); the answers.
     */
    record Submissions(Map<String, Instant> sentAt, Set<String> accepted, Map<Integer, Integer> statuses,
            List<Double> responseMillis, Instant first, Instant last) {
    }

    /** Sends {@code count} distinct specs, one every 1/rate seconds, and a floor message with each. */
    static Submissions submit(HttpClient http, String url, String authorization, String template, String prefix,
            int count, double rate, FloorChain floor) throws InterruptedException {
        Map<String, Instant> sentAt = new ConcurrentHashMap<>();
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        List<Double> responseMillis = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<?>> inFlight = new ArrayList<>();
        long start = System.nanoTime();
        long interval = (long) (1e9 / rate);
        Instant first = null;
        for (int i = 0; i < count; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            // Unique spec and pack names: every spec is a new version of a new spec, never a REUSED build.
            String name = prefix + "-" + i;
            String spec = template.replace("name: debian-12-node", "name: " + name)
                    .replace("name: byoos-debian-12\n", "name: " + name + "\n");
            long sent = System.nanoTime();
            Instant sentWallClock = Instant.now();
            first = first == null ? sentWallClock : first;
            sentAt.put(name, sentWallClock);
            floor.send();
            inFlight.add(http.sendAsync(HttpRequest.newBuilder(URI.create(url + "/api/v1/specs"))
                    .header("Content-Type", "application/yaml")
                    .header("Authorization", authorization)
                    .POST(HttpRequest.BodyPublishers.ofString(spec)).build(), HttpResponse.BodyHandlers.discarding())
                    .whenComplete((response, error) -> {
                        responseMillis.add((System.nanoTime() - sent) / 1e6);
                        statuses.merge(error != null ? -1 : response.statusCode(), 1, Integer::sum);
                        if (error == null && response.statusCode() == 201) {
                            accepted.add(name);
                        }
                    }));
        }
        Instant last = Instant.now();
        CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new))
                .exceptionally(e -> null).join();
        double seconds = Duration.between(first, last).toNanos() / 1e9;
        System.out.printf("  sent %d in %.1f s (%.1f/s), statuses %s%n", count, seconds,
                count > 1 ? (count - 1) / seconds : count, new TreeMap<>(statuses));
        return new Submissions(sentAt, accepted, statuses, responseMillis, first, last);
    }

    // ---- the pipeline's events ----------------------------------------------------------------

    /** One event as the harness saw it. */
    record Seen(Instant producedAt, Instant receivedAt, String payload) {
    }

    /** Reads every pipeline topic from its end, keeping per spec name the first event of each topic. */
    static final class PipelineRecorder implements AutoCloseable {

        private final Map<String, Map<String, Seen>> bySpec = new ConcurrentHashMap<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        PipelineRecorder(Properties kafka) throws InterruptedException {
            KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties(kafka));
            List<TopicPartition> partitions = partitionsOf(consumer, PIPELINE_TOPICS);
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            // Resolve the end offsets now, before anything is submitted.
            partitions.forEach(consumer::position);
            thread = new Thread(() -> {
                try (consumer) {
                    while (running.get()) {
                        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                            record(record, Instant.now());
                        }
                    }
                }
            }, "pipeline-recorder");
            thread.start();
        }

        private void record(ConsumerRecord<byte[], byte[]> record, Instant receivedAt) {
            String payload = new String(record.value(), StandardCharsets.UTF_8);
            Matcher specName = SPEC_NAME.matcher(payload);
            Header time = record.headers().lastHeader("ce_time");
            if (!specName.find() || time == null) {
                return;
            }
            Instant producedAt = OffsetDateTime.parse(new String(time.value(), StandardCharsets.UTF_8)).toInstant();
            bySpec.computeIfAbsent(specName.group(1), name -> new ConcurrentHashMap<>())
                    .putIfAbsent(record.topic(), new Seen(producedAt, receivedAt, payload));
        }

        Map<String, Seen> events(String specName) {
            return bySpec.getOrDefault(specName, Map.of());
        }

        /** @return whether every accepted spec's build was published or failed in time */
        boolean awaitFinished(Submissions submissions, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                long unfinished = submissions.accepted().stream().filter(name -> !finished(name)).count();
                if (unfinished == 0) {
                    return true;
                }
                Thread.sleep(100);
            }
            return false;
        }

        long publishedCount(Submissions submissions) {
            return submissions.accepted().stream().filter(name -> events(name).containsKey(PUBLISHED)).count();
        }

        boolean finished(String specName) {
            Map<String, Seen> events = events(specName);
            return events.containsKey(PUBLISHED) || events.containsKey(FAILED);
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }

    // ---- the floor ----------------------------------------------------------------------------

    static void createFloorTopics(Properties kafka) throws Exception {
        Properties properties = new Properties();
        properties.putAll(kafka);
        try (Admin admin = Admin.create(properties)) {
            for (int hop = 1; hop <= HOPS; hop++) {
                try {
                    admin.createTopics(List.of(new NewTopic(FLOOR_TOPIC_PREFIX + hop, FLOOR_PARTITIONS, (short) 1)))
                            .all().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
    }

    /**
     * The Kafka floor: the harness produces to hop 1, a relay per hop consumes and produces to the
     * next, the harness consumes the last. A message carries its send time (this JVM's nanoTime);
     * each relay forwards it as it is, with its key (so partitions spread like build ids).
     */
    static final class FloorChain implements AutoCloseable {

        private final KafkaProducer<byte[], byte[]> source;
        private final List<Thread> threads = new ArrayList<>();
        private final List<AutoCloseable> clients = new ArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final ConcurrentLinkedQueue<Double> latenciesMillis = new ConcurrentLinkedQueue<>();
        private long sequence;

        FloorChain(Properties kafka) {
            source = new KafkaProducer<>(producerProperties(kafka));
            for (int hop = 1; hop < HOPS; hop++) {
                KafkaProducer<byte[], byte[]> next = new KafkaProducer<>(producerProperties(kafka));
                clients.add(next);
                String to = FLOOR_TOPIC_PREFIX + (hop + 1);
                consume(kafka, FLOOR_TOPIC_PREFIX + hop, "floor-relay-" + hop,
                        record -> next.send(new ProducerRecord<>(to, record.key(), record.value())));
            }
            consume(kafka, FLOOR_TOPIC_PREFIX + HOPS, "floor-sink", record -> latenciesMillis
                    .add((System.nanoTime() - ByteBuffer.wrap(record.value()).getLong()) / 1e6));
        }

        private void consume(Properties kafka, String topic, String name,
                Consumer<ConsumerRecord<byte[], byte[]>> handler) {
            KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties(kafka));
            List<TopicPartition> partitions = partitionsOf(consumer, List.of(topic));
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            Thread thread = new Thread(() -> {
                try (consumer) {
                    while (running.get()) {
                        consumer.poll(Duration.ofMillis(100)).forEach(handler);
                    }
                }
            }, name);
            threads.add(thread);
            thread.start();
        }

        void send() {
            byte[] key = Long.toString(sequence++).getBytes(StandardCharsets.UTF_8);
            byte[] sentAt = ByteBuffer.allocate(Long.BYTES).putLong(System.nanoTime()).array();
            source.send(new ProducerRecord<>(FLOOR_TOPIC_PREFIX + 1, key, sentAt));
        }

        /** Forgets the warm-up's messages. */
        void reset() throws InterruptedException {
            Thread.sleep(1000);
            latenciesMillis.clear();
        }

        void awaitDelivered(int count, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (latenciesMillis.size() < count && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }

        List<Double> latenciesMillis() {
            return List.copyOf(latenciesMillis);
        }

        @Override
        public void close() throws Exception {
            running.set(false);
            for (Thread thread : threads) {
                thread.join();
            }
            source.close();
            for (AutoCloseable client : clients) {
                client.close();
            }
        }
    }

    // ---- Kafka clients ------------------------------------------------------------------------

    /** The services' producer settings: acks=all, the client's defaults otherwise (as SmallRye leaves them). */
    static Properties producerProperties(Properties kafka) {
        Properties properties = new Properties();
        properties.putAll(kafka);
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return properties;
    }

    /** Group-less consumers (assigned every partition): nothing to join, nothing to commit. */
    static Properties consumerProperties(Properties kafka) {
        Properties properties = new Properties();
        properties.putAll(kafka);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return properties;
    }

    static List<TopicPartition> partitionsOf(KafkaConsumer<?, ?> consumer, List<String> topics) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        }
        return partitions;
    }

    // ---- where the CPU went --------------------------------------------------------------------

    /**
     * CPU time of every process on the machine over the measured phase, from /proc, by what the
     * process is: on two cores a stage that waits for the CPU shows up as latency, so this says
     * which process the latency is spent in (and how much went to work that is not this benchmark).
     */
    record CpuAccount(Map<String, String> labels, Instant startedAt, Map<Long, Long> ticksAtStart,
            Map<Long, Long> jitTicksAtStart) {

        static final String OTHER_PROCESSES = "other processes on the machine";
        /** USER_HZ: /proc reports CPU time in these ticks (100 on Linux). */
        static final double TICKS_PER_SECOND = 100;
        /** HotSpot's JIT compiler threads, as /proc names them (the name cut to 15 characters). */
        static final Pattern JIT_THREAD = Pattern.compile("C[12] CompilerThre.*");

        /**
         * @param dataDir the stack's data directory, as its command line names it: tells this
         *                stack's processes from other stacks on the machine (tests, other benchmarks)
         */
        static CpuAccount start(String dataDir) {
            String root = Path.of("").toAbsolutePath().toString();
            // What a process's command line (or its parent's, and so on) contains → what it is; first match wins.
            Map<String, String> labels = new java.util.LinkedHashMap<>();
            labels.put("LoadBench", "this harness (HTTP, Kafka readers, floor relays)");
            labels.put(root + "/spec-service/target", "spec-service");
            labels.put(root + "/build-worker/target", "build-worker (all instances)");
            labels.put(root + "/artifact-service/target", "artifact-service");
            labels.put(root + "/pack-publisher/target", "pack-publisher");
            labels.put(dataDir + "/postgres", "PostgreSQL");
            labels.put(dataDir + "/registry", "OCI registry");
            labels.put("--data-dir " + dataDir, "devstack JVM (Kafka, S3Proxy)");
            return new CpuAccount(labels, Instant.now(), ticksByProcess(), jitTicksByThread());
        }

        /** What the pipeline's processes spent over the phase, in CPU-seconds. */
        record Spent(double total, double jit) {

            double withoutJit() {
                return total - jit;
            }
        }

        /**
         * Prints the table, each process with what its JIT compiler threads took (compiling, which a
         * service that has run for a while no longer does); returns what the pipeline's processes
         * spent (not the harness, not other work).
         */
        Spent report() {
            Map<Long, Long> now = ticksByProcess();
            Map<Long, Long> jitNow = jitTicksByThread();
            double seconds = Duration.between(startedAt, Instant.now()).toNanos() / 1e9;
            Map<String, Double> byLabel = new TreeMap<>();
            now.forEach((pid, ticks) -> byLabel.merge(label(pid), (ticks - ticksAtStart.getOrDefault(pid, 0L))
                    / TICKS_PER_SECOND, Double::sum));
            // Per thread: a compiler thread that exits meanwhile (HotSpot stops idle ones) drops out,
            // so the JIT share is a lower bound and the figure without it an upper bound.
            Map<String, Double> jitByLabel = new TreeMap<>();
            jitNow.forEach((thread, ticks) -> jitByLabel.merge(label(thread >>> 32),
                    (ticks - jitTicksAtStart.getOrDefault(thread, 0L)) / TICKS_PER_SECOND, Double::sum));
            double cores = Runtime.getRuntime().availableProcessors();
            System.out.printf("%nCPU over the measured phase (%.1f s, %.0f cores = %.1f CPU-s):%n", seconds, cores,
                    seconds * cores);
            byLabel.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                    .forEach(e -> System.out.printf(Locale.ROOT, "  %-50s %7.1f CPU-s  %5.1f %%%s%n", e.getKey(),
                            e.getValue(), 100 * e.getValue() / (seconds * cores),
                            jitByLabel.getOrDefault(e.getKey(), 0.0) > 0
                                    ? String.format(Locale.ROOT, "   (JIT compilers %.1f CPU-s)", jitByLabel.get(e.getKey()))
                                    : ""));
            java.util.function.Predicate<String> pipeline = label -> !label.equals(labels.get("LoadBench"))
                    && !label.equals(OTHER_PROCESSES);
            return new Spent(
                    byLabel.entrySet().stream().filter(e -> pipeline.test(e.getKey())).mapToDouble(Map.Entry::getValue).sum(),
                    jitByLabel.entrySet().stream().filter(e -> pipeline.test(e.getKey())).mapToDouble(Map.Entry::getValue).sum());
        }

        private String label(long pid) {
            for (Optional<ProcessHandle> process = ProcessHandle.of(pid); process.isPresent();
                    process = process.get().parent()) {
                String commandLine = commandLine(process.get().pid());
                Optional<String> label = labels.entrySet().stream().filter(e -> commandLine.contains(e.getKey()))
                        .map(Map.Entry::getValue).findFirst();
                if (label.isPresent()) {
                    return label.get();
                }
            }
            return OTHER_PROCESSES;
        }

        private static String commandLine(long pid) {
            try {
                return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ');
            } catch (java.io.IOException | java.io.UncheckedIOException gone) {
                return "";
            }
        }

        /** utime + stime of every live process; a process that exits meanwhile drops out. */
        private static Map<Long, Long> ticksByProcess() {
            Map<Long, Long> ticks = new java.util.HashMap<>();
            ProcessHandle.allProcesses().forEach(process -> {
                Stat stat = Stat.read(Path.of("/proc", Long.toString(process.pid()), "stat"));
                if (stat != null) {
                    ticks.put(process.pid(), stat.ticks());
                }
            });
            return ticks;
        }

        /** utime + stime of every live JIT compiler thread, keyed by its process id (high half) and thread id. */
        private static Map<Long, Long> jitTicksByThread() {
            Map<Long, Long> ticks = new java.util.HashMap<>();
            ProcessHandle.allProcesses().forEach(process -> {
                try (java.util.stream.Stream<Path> threads = Files.list(Path.of("/proc", Long.toString(process.pid()), "task"))) {
                    threads.forEach(thread -> {
                        Stat stat = Stat.read(thread.resolve("stat"));
                        if (stat != null && JIT_THREAD.matcher(stat.name()).matches()) {
                            ticks.put(process.pid() << 32 | Long.parseLong(thread.getFileName().toString()), stat.ticks());
                        }
                    });
                } catch (java.io.IOException | java.io.UncheckedIOException gone) {
                    // Exited between the listing and the read.
                }
            });
            return ticks;
        }

        /** A /proc stat line: the name (in parentheses, may hold spaces) and utime + stime. */
        record Stat(String name, long ticks) {

            static Stat read(Path file) {
                try {
                    String stat = Files.readString(file);
                    // Fields after the name in parentheses: state is field 3, utime and stime 14 and 15.
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    return new Stat(stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
                            Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
                } catch (java.io.IOException | java.io.UncheckedIOException gone) {
                    return null;
                }
            }
        }
    }

    // ---- the report ---------------------------------------------------------------------------

    /** One build's timeline in milliseconds since its POST, from the events' ce_time unless noted. */
    record Timeline(Instant sent, Map<String, Seen> events) {

        double millis(Instant from, Instant to) {
            return Duration.between(from, to).toNanos() / 1e6;
        }

        Instant produced(String topic) {
            return events.get(topic).producedAt();
        }

        long buildMillis() {
            Matcher duration = DURATION_MILLIS.matcher(events.get(COMPLETED).payload());
            if (!duration.find()) {
                throw new IllegalStateException("build.completed without durationMillis: " + events.get(COMPLETED));
            }
            return Long.parseLong(duration.group(1));
        }

        double endToEnd() {
            return millis(sent, events.get(PUBLISHED).receivedAt());
        }
    }

    static void report(Submissions submissions, PipelineRecorder pipeline, FloorChain floor, double rate,
            boolean allFinished) {
        List<Timeline> published = new ArrayList<>();
        Map<String, Integer> failures = new TreeMap<>();
        int unfinished = 0;
        for (String name : submissions.accepted()) {
            Map<String, Seen> events = pipeline.events(name);
            if (events.containsKey(PUBLISHED)) {
                published.add(new Timeline(submissions.sentAt().get(name), events));
            } else if (events.containsKey(FAILED)) {
                Matcher code = FAILURE_CODE.matcher(events.get(FAILED).payload());
                failures.merge(code.find() ? code.group(1) : "?", 1, Integer::sum);
            } else {
                unfinished++;
            }
        }
        int total = submissions.sentAt().size();
        System.out.printf("%nbuilds: %d submitted, %d accepted (201), %d published, %d failed %s, %d unfinished after"
                + " %d s%s%n", total, submissions.accepted().size(), published.size(), failures.values().stream().mapToInt(Integer::intValue).sum(), failures, unfinished,
                DRAIN_TIMEOUT.toSeconds(), allFinished ? "" : " (INCOMPLETE)");
        if (published.isEmpty()) {
            return;
        }
        Instant lastPublished = published.stream().map(t -> t.events().get(PUBLISHED).receivedAt())
                .max(Instant::compareTo).orElseThrow();
        Instant firstStarted = published.stream().map(t -> t.produced(STARTED)).min(Instant::compareTo).orElseThrow();
        Instant lastCompleted = published.stream().map(t -> t.produced(COMPLETED)).max(Instant::compareTo).orElseThrow();
        double offered = (total - 1) / (Duration.between(submissions.first(), submissions.last()).toNanos() / 1e9);
        double sustained = published.size() / (Duration.between(submissions.first(), lastPublished).toNanos() / 1e9);
        double workerStage = published.size() / (Duration.between(firstStarted, lastCompleted).toNanos() / 1e9);
        System.out.printf("throughput: offered %.1f specs/s (asked %.0f); end-to-end %.1f builds/s (first POST to"
                + " last pack received); worker stage %.1f builds/s (first build.started to last build.completed)%n",
                offered, rate, sustained, workerStage);
        System.out.println("builds per worker instance: " + published.stream()
                .collect(Collectors.groupingBy(t -> instanceOf(t.events().get(STARTED).payload()), TreeMap::new,
                        Collectors.counting())));

        System.out.println();
        System.out.println("| latency (ms) | p50 | p95 | p99 | max |");
        System.out.println("|---|---|---|---|---|");
        row("POST /api/v1/specs response", submissions.responseMillis(), d -> d);
        row("intake: POST sent → build.requested produced", published, t -> t.millis(t.sent(), t.produced(REQUESTED)));
        row("queue: build.requested → build.started", published, t -> t.millis(t.produced(REQUESTED), t.produced(STARTED)));
        row("build: build.started → build.completed", published, t -> t.millis(t.produced(STARTED), t.produced(COMPLETED)));
        row("  of which the builder's durationMillis", published, t -> t.buildMillis());
        row("artifact: build.completed → artifact.stored", published, t -> t.millis(t.produced(COMPLETED), t.produced(STORED)));
        row("pack: artifact.stored → pack.published", published, t -> t.millis(t.produced(STORED), t.produced(PUBLISHED)));
        row("delivery: pack.published → received", published, t -> t.millis(t.produced(PUBLISHED),
                t.events().get(PUBLISHED).receivedAt()));
        row("**end-to-end**: POST sent → pack.published received", published, Timeline::endToEnd);
        row("**pipeline overhead**: end-to-end − durationMillis", published, t -> t.endToEnd() - t.buildMillis());
        List<Double> floorMillis = floor.latenciesMillis();
        row("**Kafka floor**: " + HOPS + " produce→consume hops, " + floorMillis.size() + " messages", floorMillis, d -> d);
        row("Kafka delivery of build.requested to the harness", published, t -> t.millis(t.produced(REQUESTED),
                t.events().get(REQUESTED).receivedAt()));

        if (floorMillis.isEmpty()) {
            System.out.println("\nno floor message came through: the aim cannot be judged");
            return;
        }
        double overheadP99 = percentile(values(published, t -> t.endToEnd() - t.buildMillis()), 99);
        double floorP99 = percentile(floorMillis, 99);
        System.out.printf("%naim (overhead p99 ≤ 150 ms and ≤ 3 × floor p99): overhead p99 %.1f ms, floor p99 %.1f ms,"
                + " ratio %.1f: %s%n", overheadP99, floorP99, overheadP99 / floorP99,
                overheadP99 <= 150 && overheadP99 <= 3 * floorP99 ? "met" : "NOT met");
    }

    private static final Pattern WORKER_INSTANCE = Pattern.compile("\"worker\"\\s*:\\s*\"([^\"]+)\"");

    /** The worker instance named in build.started, without its random suffix. */
    static String instanceOf(String startedPayload) {
        Matcher worker = WORKER_INSTANCE.matcher(startedPayload);
        return worker.find() ? worker.group(1).replaceFirst("-[0-9a-f]{8}-[0-9a-f-]{27}$", "") : "?";
    }

    static <T> List<Double> values(Collection<T> items, ToDoubleFunction<T> value) {
        List<Double> values = new ArrayList<>();
        items.forEach(item -> values.add(value.applyAsDouble(item)));
        return values;
    }

    static <T> void row(String label, Collection<T> items, ToDoubleFunction<T> value) {
        List<Double> values = values(items, value);
        if (values.isEmpty()) {
            System.out.printf("| %s | – | – | – | – |%n", label);
            return;
        }
        System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.1f |%n", label, percentile(values, 50),
                percentile(values, 95), percentile(values, 99), percentile(values, 100));
    }

    static double percentile(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
    }
}
