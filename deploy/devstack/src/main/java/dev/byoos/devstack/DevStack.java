package dev.byoos.devstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local stack: Kafka, PostgreSQL, S3 and an OCI registry on free loopback ports, with all
 * state under one data directory so a second start on it is warm (data kept, nothing to create).
 *
 * <p>{@code endpoints.properties} appears in the data directory only once every server answers and
 * every topic, database and bucket exists; it is removed when the stack stops. The stack also stops
 * from a JVM shutdown hook (SIGTERM, Ctrl-C).
 */
public final class DevStack implements AutoCloseable {

    /**
     * While a file named {@code <server>}{@value #OUTAGE_FILE_SUFFIX} exists in the data directory,
     * that server (kafka, postgres, s3, registry) is down as in an outage: stopped, its data kept;
     * removing the file brings it back on the same port with the same data. Tests of how the
     * services ride out an outage and the fault-injection suite create and delete these files
     * (test-support's {@code TestStack.outage(...)}).
     */
    public static final String OUTAGE_FILE_SUFFIX = "-outage";
    /** The servers with an outage switch, by the name their switch file starts with. */
    public static final List<String> OUTAGE_SERVERS = List.of("kafka", "postgres", "s3", "registry");
    private static final Duration OUTAGE_SWITCH_POLL = Duration.ofMillis(100);

    /** How long one server may take to start, formatting and creating its topics/databases/buckets included. */
    private static final Duration STARTUP_TIMEOUT = Duration.ofMinutes(3);

    private final DataDir dataDir;
    private final DataDir.Lock lock;
    private final List<RunningServer> servers;
    private final Endpoints endpoints;
    private final Thread shutdownHook;
    /** Stopped before the servers, also at JVM exit: the stack's own clients (the services). */
    private final java.util.List<AutoCloseable> stopFirst = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private DevStack(DataDir dataDir, DataDir.Lock lock, List<RunningServer> servers, Endpoints endpoints) {
        this.dataDir = dataDir;
        this.lock = lock;
        this.servers = servers;
        this.endpoints = endpoints;
        this.shutdownHook = new Thread(this::close, "devstack-shutdown");
    }

    public static DevStack start(Path dataDir) throws Exception {
        return start(dataDir, message -> { });
    }

    /**
     * Starts every server (in parallel: they are independent) and writes the endpoints file.
     *
     * @param progress receives one short line per server as it becomes ready
     */
    public static DevStack start(Path dataDirPath, Consumer<String> progress) throws Exception {
        DataDir dataDir = new DataDir(dataDirPath);
        Files.createDirectories(dataDir.logs());
        // Before anything touches SLF4J (this class deliberately has no static logger).
        DevStackLogging.configure(dataDir.logs());
        Logger log = LoggerFactory.getLogger(DevStack.class);

        DataDir.Lock lock = dataDir.lock();
        DevStack stack;
        try {
            // Readers take the file's presence as "ready": an old one must never be seen.
            Files.deleteIfExists(dataDir.endpointsFile());
            // An outage switch left behind by a killed test must not start the stack without a server.
            for (String server : OUTAGE_SERVERS) {
                Files.deleteIfExists(dataDir.root().resolve(server + OUTAGE_FILE_SUFFIX));
            }
            log.info("Starting the dev stack in {}", dataDir.root());
            List<RunningServer> servers = startServers(dataDir, progress, log);
            stack = new DevStack(dataDir, lock, servers, endpointsOf(servers));
        } catch (Exception | Error e) {
            closeQuietly(lock, e);
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(stack.shutdownHook);
        stack.watchOutageSwitches();
        try {
            stack.endpoints.writeAtomically(dataDir.endpointsFile());
        } catch (IOException | RuntimeException e) {
            stack.close();
            throw e;
        }
        log.info("Dev stack ready: {}", stack.endpoints);
        return stack;
    }

    /**
     * Registers something to stop before the servers stop, however the stack is closed (including
     * by the JVM shutdown hook on Ctrl-C). Services must leave their consumer groups while Kafka
     * still runs, or the next start waits out their session timeout.
     */
    public void stopFirst(AutoCloseable client) {
        stopFirst.add(0, client);
    }

    public Endpoints endpoints() {
        return endpoints;
    }

    /** Suspends and resumes each server as its outage file appears and disappears; one daemon thread. */
    private void watchOutageSwitches() {
        Map<String, Suspendable> switchable = Map.of(
                "kafka", find(servers, KafkaServer.class),
                "postgres", find(servers, PostgresServer.class),
                "s3", find(servers, S3Server.class),
                "registry", find(servers, RegistryServer.class));
        Logger log = LoggerFactory.getLogger(DevStack.class);
        Thread watcher = new Thread(() -> {
            Set<String> suspended = new HashSet<>();
            while (!closed.get()) {
                try {
                    Thread.sleep(OUTAGE_SWITCH_POLL.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
                for (String name : OUTAGE_SERVERS) {
                    Path outageFile = dataDir.root().resolve(name + OUTAGE_FILE_SUFFIX);
                    boolean wanted = Files.exists(outageFile);
                    if (wanted == suspended.contains(name) || closed.get()) {
                        continue;
                    }
                    try {
                        if (wanted) {
                            switchable.get(name).suspend();
                            suspended.add(name);
                            log.info("{} suspended: {} exists", name, outageFile);
                        } else {
                            switchable.get(name).resume();
                            suspended.remove(name);
                            log.info("{} resumed", name);
                        }
                    } catch (Exception e) {
                        log.warn("could not {} {}; trying again", wanted ? "suspend" : "resume", name, e);
                    }
                }
            }
        }, "devstack-outage-switches");
        watcher.setDaemon(true);
        watcher.start();
    }

    public Path endpointsFile() {
        return dataDir.endpointsFile();
    }

    public Path dataDir() {
        return dataDir.root();
    }

    /** Stops the servers in reverse dependency order, each within a bounded time; never throws. */
    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        for (AutoCloseable client : stopFirst) {
            try {
                client.close();
            } catch (Exception e) {
                LoggerFactory.getLogger(DevStack.class).warn("could not stop {}: {}", client, e.getMessage());
            }
        }
        Logger log = LoggerFactory.getLogger(DevStack.class);
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                log.debug("JVM already shutting down; the hook is running", e);
            }
        }
        try {
            Files.deleteIfExists(dataDir.endpointsFile());
        } catch (IOException e) {
            log.warn("Could not delete {}", dataDir.endpointsFile(), e);
        }
        for (int i = servers.size() - 1; i >= 0; i--) {
            servers.get(i).stop(log);
        }
        try {
            lock.close();
        } catch (IOException e) {
            log.warn("Could not release {}", dataDir.lockFile(), e);
        }
        log.info("Dev stack stopped");
    }

    /**
     * Starts the servers concurrently and returns them in dependency order (PostgreSQL, Kafka, S3,
     * registry), the reverse of the order {@link #close()} stops them in. On any failure the ones
     * that did start are stopped again.
     */
    private static List<RunningServer> startServers(DataDir dataDir, Consumer<String> progress, Logger log)
            throws Exception {
        Path logs = dataDir.logs();
        List<Startup> startups = new ArrayList<>();
        ExecutorService executor = Executors.newFixedThreadPool(4, task -> {
            Thread thread = new Thread(task, "devstack-start");
            thread.setDaemon(true);
            return thread;
        });
        try {
            startups.add(Startup.submit(executor, progress, "PostgreSQL", Duration.ofSeconds(30),
                    () -> PostgresServer.start(dataDir.postgres(), logs),
                    server -> Ports.LOOPBACK + ":" + server.port()));
            startups.add(Startup.submit(executor, progress, "Kafka", Duration.ofSeconds(30),
                    () -> KafkaServer.start(dataDir.kafka(), logs),
                    KafkaServer::bootstrapServers));
            startups.add(Startup.submit(executor, progress, "S3", Duration.ofSeconds(15),
                    () -> S3Server.start(dataDir.s3()),
                    S3Server::endpoint));
            startups.add(Startup.submit(executor, progress, "registry", Duration.ofSeconds(15),
                    () -> RegistryServer.start(dataDir.registry(), logs),
                    RegistryServer::url));

            List<RunningServer> started = new ArrayList<>();
            Exception failure = null;
            long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
            for (Startup startup : startups) {
                try {
                    started.add(startup.await(deadline));
                } catch (Exception e) {
                    log.error("{} failed to start", startup.name, e);
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            if (failure != null) {
                for (int i = started.size() - 1; i >= 0; i--) {
                    started.get(i).stop(log);
                }
                throw failure;
            }
            return List.copyOf(started);
        } finally {
            executor.shutdownNow();
        }
    }

    private static Endpoints endpointsOf(List<RunningServer> servers) {
        PostgresServer postgres = find(servers, PostgresServer.class);
        S3Server s3 = find(servers, S3Server.class);
        return new Endpoints(
                find(servers, KafkaServer.class).bootstrapServers(),
                find(servers, KafkaServer.class).credentials(),
                Ports.LOOPBACK,
                postgres.port(),
                PostgresServer.USERNAME,
                PostgresServer.PASSWORD,
                s3.endpoint(),
                S3Server.REGION,
                S3Server.ACCESS_KEY,
                s3.secretKey(),
                S3Server.STAGING_BUCKET,
                S3Server.ARTIFACTS_BUCKET,
                find(servers, RegistryServer.class).url(),
                ProcessHandle.current().pid());
    }

    private static <T> T find(List<RunningServer> servers, Class<T> type) {
        return servers.stream()
                .map(RunningServer::server)
                .filter(type::isInstance)
                .map(type::cast)
                .findFirst()
                .orElseThrow();
    }

    private static void closeQuietly(AutoCloseable closeable, Throwable failure) {
        try {
            closeable.close();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }

    /** A server being started on the start pool. */
    private record Startup(String name, Duration stopTimeout, Future<AutoCloseable> future) {

        static <T extends AutoCloseable> Startup submit(ExecutorService executor, Consumer<String> progress,
                String name, Duration stopTimeout, Callable<T> start, Function<T, String> address) {
            Future<AutoCloseable> future = executor.submit(() -> {
                long begin = System.nanoTime();
                T server = start.call();
                progress.accept(String.format("  %-10s ready in %4.1f s at %s",
                        name, (System.nanoTime() - begin) / 1e9, address.apply(server)));
                return server;
            });
            return new Startup(name, stopTimeout, future);
        }

        RunningServer await(long deadlineNanos) throws Exception {
            try {
                long remaining = Math.max(0, deadlineNanos - System.nanoTime());
                return new RunningServer(name, future.get(remaining, TimeUnit.NANOSECONDS), stopTimeout);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            } catch (TimeoutException e) {
                future.cancel(true);
                throw new TimeoutException(name + " did not start within " + STARTUP_TIMEOUT.toSeconds() + " s");
            }
        }
    }

    /** A started server and how long stopping it may take before we give up waiting. */
    private record RunningServer(String name, AutoCloseable server, Duration stopTimeout) {

        /** Stops on a helper thread so a server that hangs on shutdown cannot hang the whole stop. */
        void stop(Logger log) {
            Thread stopper = new Thread(() -> {
                try {
                    server.close();
                } catch (Exception e) {
                    log.warn("Stopping {} failed", name, e);
                }
            }, "devstack-stop-" + name);
            stopper.setDaemon(true);
            stopper.start();
            try {
                stopper.join(stopTimeout.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (stopper.isAlive()) {
                log.warn("{} did not stop within {} s; leaving it", name, stopTimeout.toSeconds());
            }
        }
    }
}
