package dev.byoos.devstack;

import dev.byoos.localauth.LocalSigningKeys;
import dev.byoos.localauth.LocalTokens;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Starts the four BYOOS services as separate JVMs (their Quarkus fast-jars), wired to a running
 * dev stack through environment variables, exactly as a deployment would configure them.
 */
public final class ServiceLauncher implements AutoCloseable {

    public static final String SERVICES_FILE = "services.properties";
    private static final String PIDS_FILE = "services.pids";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    /** A service, the folder it is built in, and the database it owns (null when it has none). */
    public enum Service {
        SPEC_SERVICE("spec-service", "spec_service"),
        BUILD_WORKER("build-worker", null),
        ARTIFACT_SERVICE("artifact-service", "artifact_service"),
        PACK_PUBLISHER("pack-publisher", "pack_publisher");

        final String directory;
        final String database;

        Service(String directory, String database) {
            this.directory = directory;
            this.database = database;
        }

        public String serviceName() {
            return directory;
        }
    }

    /**
     * One process of a service. Services run once, except build-worker, which a benchmark may
     * start several times to show the worker stage scale out: instance 1 is named after the
     * service, the others get a suffix ({@code build-worker-2}) in their log, scratch directory
     * and URL key.
     */
    private record Instance(Service service, int number) {
        String name() {
            return number == 1 ? service.directory : service.directory + "-" + number;
        }
    }

    /** One service's process, replaced by a new one started the same way when it dies unexpectedly. */
    private static final class Running {
        final Instance instance;
        final ProcessBuilder command;
        final int port;
        final Path log;
        volatile Process process;

        Running(Instance instance, ProcessBuilder command, int port, Path log, Process process) {
            this.instance = instance;
            this.command = command;
            this.port = port;
            this.log = log;
            this.process = process;
        }

        String url() {
            return "http://127.0.0.1:" + port;
        }
    }

    /**
     * A file {@code <service>.stopped} in the data directory keeps that service down once it exits:
     * what a test writes before it kills a service it wants gone (a lost pod never rescheduled).
     */
    public static final String STOPPED_SUFFIX = ".stopped";

    /** As a supervisor (Kubernetes, systemd) would wait before starting a crashed service again. */
    private static final Duration RESTART_DELAY = Duration.ofSeconds(1);

    private final List<Running> running = new ArrayList<>();
    private final Path dataDir;
    /** Set once {@link #close()} begins: a service that exits then was stopped, not crashed. */
    private boolean closing;
    /** Kills a service that keeps saying it is not live, for {@link #supervise} to start again. */
    private LivenessProbe liveness;

    private ServiceLauncher(Path dataDir) {
        this.dataDir = dataDir;
    }

    /**
     * Starts every service and waits until each reports ready on /q/health/ready.
     *
     * @param kubernetesMirror the build workers' Kubernetes components mirror; empty: the stand-ins
     *                         of {@link KubernetesStandInMirror}
     */
    public static ServiceLauncher start(Path repoRoot, Path dataDir, Endpoints endpoints,
            Optional<String> kubernetesMirror, PrintStream progress) throws IOException, InterruptedException {
        return start(repoRoot, dataDir, endpoints, EnumSet.allOf(Service.class), 1, kubernetesMirror, progress);
    }

    /**
     * Starts the given services only (e.g. spec-service alone, to measure intake without builds).
     *
     * @param buildWorkers     how many build-worker processes to start when build-worker is among the
     *                         services; they share its consumer group, so they split the build requests
     * @param kubernetesMirror the build workers' Kubernetes components mirror; empty: the stand-ins
     *                         of {@link KubernetesStandInMirror}, seeded even when no worker is among
     *                         the services, for workers a test starts itself
     */
    public static ServiceLauncher start(Path repoRoot, Path dataDir, Endpoints endpoints, Set<Service> services,
            int buildWorkers, Optional<String> kubernetesMirror, PrintStream progress)
            throws IOException, InterruptedException {
        if (buildWorkers < 1) {
            throw new CommandLine.UsageException("at least one build-worker is needed, not " + buildWorkers);
        }
        Path logs = Files.createDirectories(dataDir.resolve("logs"));
        stopLeftovers(dataDir, progress);
        String mirror = kubernetesMirror.isPresent() ? kubernetesMirror.get()
                : KubernetesStandInMirror.seed(repoRoot, dataDir).toString();
        progress.println("  Kubernetes components mirror: " + mirror + (kubernetesMirror.isPresent() ? ""
                : " (development stand-ins, not real binaries)"));
        ServiceLauncher launcher = new ServiceLauncher(dataDir);
        try {
            // One port per service, then one for each additional build-worker.
            int[] ports = Ports.stable(dataDir.resolve("services"), Service.values().length + buildWorkers - 1);
            for (Instance instance : instances(services, buildWorkers)) {
                Service service = instance.service();
                Path jar = repoRoot.resolve(service.directory).resolve("target/quarkus-app/quarkus-run.jar");
                if (!Files.isRegularFile(jar)) {
                    throw new IOException(jar + " is missing: build the services first (mvn -B package -DskipTests)");
                }
                int port = instance.number() == 1 ? ports[service.ordinal()]
                        : ports[Service.values().length + instance.number() - 2];
                Path log = logs.resolve(instance.name() + ".log");
                // A scratch directory per process, as on separate hosts: a worker treats its own as private.
                Path scratch = Files.createDirectories(dataDir.resolve(instance.number() == 1 ? "scratch"
                        : "scratch-" + instance.number()));
                List<String> command = new ArrayList<>();
                command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
                command.addAll(jvmOptions(service));
                command.addAll(List.of("-jar", jar.toString()));
                ProcessBuilder builder = new ProcessBuilder(command)
                        .directory(repoRoot.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
                builder.environment().putAll(environment(service, port, endpoints, repoRoot, scratch,
                        LocalTokens.in(authDirectory(dataDir)), LocalSigningKeys.in(signingDirectory(dataDir))));
                builder.environment().put("BYOOS_KUBERNETES_MIRROR", mirror);
                if (service == Service.SPEC_SERVICE) {
                    // Debian or Ubuntu specs without a base bootstrap from this machine's own mirror, unless the operator set one.
                    DefaultMirrors.environment().forEach(builder.environment()::putIfAbsent);
                    builder.environment().put("BYOOS_SPEC_NOTIFICATIONS_SECRET_KEY", notificationSecretKey(dataDir));
                    // The pipeline page's dependency strip polls the other services' readiness.
                    for (Service other : services) {
                        if (other != Service.SPEC_SERVICE) {
                            builder.environment().put("BYOOS_SPEC_PIPELINE_" + other.name(),
                                    "http://127.0.0.1:" + ports[other.ordinal()]);
                        }
                    }
                }
                if (instance.number() > 1) {
                    // The first worker keeps its default name (HOSTNAME, or a random id per start);
                    // the others need their own, for build.started and their cancellations consumer group.
                    builder.environment().put("BYOOS_WORKER_INSTANCE_NAME", instance.name() + "-" + UUID.randomUUID());
                }
                Process process = builder.start();
                // A restarted process adds to the log of the one that died.
                builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
                launcher.running.add(new Running(instance, builder, port, log, process));
                progress.printf("  started %-16s pid %-7d http://127.0.0.1:%d  (log: %s)%n", instance.name(),
                        process.pid(), port, repoRoot.relativize(log.toAbsolutePath()));
            }
            launcher.writePids();
            launcher.awaitReady(progress);
            launcher.writeServicesFile();
            launcher.running.forEach(service -> launcher.supervise(service, progress));
            launcher.liveness = new LivenessProbe(LivenessProbe.PERIOD, LivenessProbe.FAILURE_THRESHOLD, progress);
            launcher.running.forEach(service -> launcher.liveness.watch(service.instance.name(),
                    URI.create(service.url() + "/q/health/live"), () -> service.process));
            return launcher;
        } catch (IOException | InterruptedException | RuntimeException e) {
            launcher.close();
            throw e;
        }
    }

    private static List<Instance> instances(Set<Service> services, int buildWorkers) {
        List<Instance> instances = new ArrayList<>();
        for (Service service : services) {
            int count = service == Service.BUILD_WORKER ? buildWorkers : 1;
            for (int number = 1; number <= count; number++) {
                instances.add(new Instance(service, number));
            }
        }
        return instances;
    }

    /** Replaces the default options ({@link #defaultJvmOptions}) for every service, e.g. to benchmark with full JIT tiers. */
    public static final String JVM_OPTIONS_ENV = "BYOOS_SERVICE_JAVA_OPTS";
    /**
     * Small, quick-starting JVMs: the local stack runs four of them on two cores. C1 only (no C2)
     * starts fast but runs slower, so benchmarks set {@value #JVM_OPTIONS_ENV} instead.
     */
    static final List<String> QUICK_START_JVM_OPTIONS = List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    /**
     * The same small JVM with every JIT tier, for the services that hash whole images (the worker:
     * base copies, trees, disks, uploads; artifact-service: promotion). Only C2 uses the CPU's
     * SHA-256 instructions: under C1 a 1 GB disk hashes in ≈ 6.8 s, under C2 in ≈ 0.8 s.
     */
    static final List<String> HASHING_JVM_OPTIONS = List.of("-Xmx384m", "-XX:+UseSerialGC");

    static List<String> defaultJvmOptions(Service service) {
        return service == Service.BUILD_WORKER || service == Service.ARTIFACT_SERVICE ? HASHING_JVM_OPTIONS
                : QUICK_START_JVM_OPTIONS;
    }

    static List<String> jvmOptions(Service service) {
        String configured = System.getenv(JVM_OPTIONS_ENV);
        return configured == null || configured.isBlank() ? defaultJvmOptions(service)
                : List.of(configured.trim().split("\\s+"));
    }

    /**
     * The key spec-service encrypts subscriptions' signing secrets under: random per stack, kept
     * with the stack's data (owner-readable only) so that its database's secrets still decrypt
     * after a restart.
     */
    static String notificationSecretKey(Path dataDir) throws IOException {
        Path file = dataDir.resolve("notifications").resolve("secret-key");
        if (!Files.isRegularFile(file)) {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Files.createDirectories(file.getParent());
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, Base64.getEncoder().encodeToString(key));
        }
        return Files.readString(file).trim();
    }

    /** Where the stack keeps the key pair its bearer tokens are signed with ({@link LocalTokens}). */
    public static Path authDirectory(Path dataDir) {
        return dataDir.resolve("auth");
    }

    /** Where the stack keeps artifact-service's signing key pair ({@link LocalSigningKeys}). */
    public static Path signingDirectory(Path dataDir) {
        return dataDir.resolve("signing");
    }

    /**
     * The local stack has no Azure: azure packs name their VHD under this container, on a host in
     * the reserved {@code .invalid} domain (RFC 2606), so the URL never resolves, nobody can
     * register it, and a reader sees at once that the VHD was never copied anywhere.
     */
    static final String AZURE_VHD_PLACEHOLDER = "https://devstack-has-no-azure.invalid/vhds";

    static Map<String, String> environment(Service service, int port, Endpoints endpoints, Path repoRoot, Path scratch,
            LocalTokens tokens, LocalSigningKeys signing) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("MP_JWT_VERIFY_PUBLICKEY_LOCATION", tokens.publicKeyFile().toString());
        env.put("MP_JWT_VERIFY_ISSUER", LocalTokens.ISSUER);
        env.put("BYOOS_SIGNING_PRIVATE_KEY_FILE", signing.privateKeyFile().toString());
        env.put("BYOOS_SIGNING_PUBLIC_KEY_FILE", signing.publicKeyFile().toString());
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.put("KAFKA_BOOTSTRAP_SERVERS", endpoints.kafkaBootstrapServers());
        // The service's own Kafka principal (its name, in its application.properties): only its topics.
        env.put("KAFKA_PASSWORD", endpoints.kafkaCredentials().password(service.serviceName()));
        if (service.database != null) {
            env.put("BYOOS_DB_REACTIVE_URL", "postgresql://" + endpoints.postgresHost() + ":" + endpoints.postgresPort()
                    + "/" + service.database);
            env.put("BYOOS_DB_JDBC_URL", endpoints.jdbcUrl(service.database));
            env.put("BYOOS_DB_USERNAME", endpoints.postgresUsername());
            env.put("BYOOS_DB_PASSWORD", endpoints.postgresPassword());
        }
        env.put("BYOOS_S3_ENDPOINT", endpoints.s3Endpoint());
        env.put("BYOOS_S3_REGION", endpoints.s3Region());
        env.put("BYOOS_S3_ACCESS_KEY", endpoints.s3AccessKey());
        env.put("BYOOS_S3_SECRET_KEY", endpoints.s3SecretKey());
        env.put("BYOOS_S3_STAGING_BUCKET", endpoints.s3StagingBucket());
        env.put("BYOOS_S3_ARTIFACTS_BUCKET", endpoints.s3ArtifactsBucket());
        env.put("BYOOS_REGISTRY_URL", endpoints.registryUrl());
        env.put("BYOOS_BASES_DIR", repoRoot.resolve("examples/bases").toString());
        env.put("BYOOS_SCRATCH_DIR", scratch.toString());
        // Beside the scratch directory (one filesystem: cached images and trees are hard links), kept with the stack's data.
        env.put("BYOOS_IMAGE_CACHE_DIR", scratch.resolveSibling("image-cache").toString());
        env.put("BYOOS_TREE_CACHE_DIR", scratch.resolveSibling("tree-cache").toString());
        // Shared with the build-worker tests: a debootstrap base is made once per machine, not per stack.
        env.put("BYOOS_BASE_CACHE_DIR", Path.of(System.getProperty("user.home"), ".cache", "byoos", "debootstrap-bases")
                .toString());
        // Verified Kubernetes artifacts by sha256, kept with the stack's data.
        env.put("BYOOS_KUBERNETES_CACHE_DIR", scratch.resolveSibling("kubernetes-components").toString());
        if (service == Service.PACK_PUBLISHER) {
            env.put("BYOOS_AZURE_VHD_BASE_URL", AZURE_VHD_PLACEHOLDER);
        }
        return env;
    }

    /** @throws IllegalArgumentException naming the known services when one is unknown */
    public static Set<Service> parseServices(String commaSeparated) {
        Set<Service> services = EnumSet.noneOf(Service.class);
        for (String name : commaSeparated.split(",")) {
            services.add(Arrays.stream(Service.values())
                    .filter(service -> service.directory.equals(name.trim()))
                    .findFirst()
                    .orElseThrow(() -> new CommandLine.UsageException("unknown service '" + name.trim() + "'; known: "
                            + Arrays.stream(Service.values()).map(Service::serviceName).toList())));
        }
        return services;
    }

    public String url(Service service) {
        return running.stream().filter(r -> r.instance.service() == service).findFirst()
                .map(Running::url)
                .orElseThrow(() -> new IllegalStateException(service + " is not running"));
    }

    private void awaitReady(PrintStream progress) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        for (Running service : running) {
            while (true) {
                if (!service.process.isAlive()) {
                    throw new IOException(service.instance.name() + " exited with " + service.process.exitValue()
                            + " while starting; last lines of " + service.log + ":\n" + tail(service.log));
                }
                if (ready(http, service)) {
                    progress.printf("  ready   %s%n", service.instance.name());
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException(service.instance.name() + " not ready after " + READY_TIMEOUT.toSeconds()
                            + " s; last lines of " + service.log + ":\n" + tail(service.log));
                }
                Thread.sleep(250);
            }
        }
    }

    private static boolean ready(HttpClient http, Running service) throws InterruptedException {
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(service.url() + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException notYetListening) {
            return false;
        }
    }

    /**
     * Starts a service again, on the same port with the same environment, when its process exits
     * while the launcher is not stopping (killed, crashed, out of memory, or killed by the
     * {@link LivenessProbe}), as Kubernetes restarts a pod's container; a normal stop
     * ({@link #close()}) restarts nothing. The fault-injection suite's kill -9 of a service relies on it.
     */
    private void supervise(Running service, PrintStream progress) {
        Process watched = service.process;
        watched.onExit().thenRun(() -> {
            try {
                Thread.sleep(RESTART_DELAY.toMillis());
                synchronized (this) {
                    if (closing) {
                        return;
                    }
                    if (Files.exists(dataDir.resolve(service.instance.name() + STOPPED_SUFFIX))) {
                        progress.printf("  stopped %-14s (pid %d exited with %d; %s%s exists)%n",
                                service.instance.name(), watched.pid(), watched.exitValue(), service.instance.name(),
                                STOPPED_SUFFIX);
                        return;
                    }
                    service.process = service.command.start();
                    writePids();
                }
                progress.printf("  restarted %-14s pid %-7d (pid %d exited with %d)%n", service.instance.name(),
                        service.process.pid(), watched.pid(), watched.exitValue());
                supervise(service, progress);
            } catch (IOException e) {
                progress.printf("  could not restart %s: %s%n", service.instance.name(), e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private void writeServicesFile() throws IOException {
        Path file = dataDir.resolve(SERVICES_FILE);
        Path temporary = file.resolveSibling(SERVICES_FILE + ".tmp");
        try (Writer writer = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
            writer.write("# BYOOS services of the local stack; removed when they stop\n");
            for (Running service : running) {
                writer.write(service.instance.name() + ".url=" + service.url() + "\n");
            }
        }
        Files.move(temporary, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private void writePids() throws IOException {
        StringBuilder pids = new StringBuilder();
        running.forEach(service -> pids.append(service.process.pid()).append('\n'));
        Files.writeString(dataDir.resolve(PIDS_FILE), pids);
    }

    /**
     * A launcher killed with SIGKILL cannot stop its children; the next start does, so stale
     * services never keep consuming from a new stack's topics.
     */
    private static void stopLeftovers(Path dataDir, PrintStream progress) throws IOException {
        Path pids = dataDir.resolve(PIDS_FILE);
        if (!Files.exists(pids)) {
            return;
        }
        for (String line : Files.readAllLines(pids)) {
            if (line.isBlank()) {
                continue;
            }
            ProcessHandle.of(Long.parseLong(line.trim()))
                    .filter(handle -> handle.info().commandLine().map(c -> c.contains("quarkus-run.jar")).orElse(false))
                    .ifPresent(handle -> {
                        progress.println("  stopping service left over from an earlier run: pid " + handle.pid());
                        handle.destroy();
                        handle.onExit().orTimeout(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                                .exceptionally(timeout -> {
                                    handle.destroyForcibly();
                                    return handle;
                                }).join();
                    });
        }
        Files.delete(pids);
    }

    @Override
    public synchronized void close() {
        closing = true;
        if (liveness != null) {
            liveness.close();
        }
        for (Running service : running) {
            service.process.destroy();
        }
        for (Running service : running) {
            try {
                if (!service.process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    service.process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                service.process.destroyForcibly();
            }
        }
        running.clear();
        try {
            Files.deleteIfExists(dataDir.resolve(SERVICES_FILE));
            Files.deleteIfExists(dataDir.resolve(PIDS_FILE));
        } catch (IOException ignored) {
            // Best effort: a stale file is overwritten by the next start.
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }
}
