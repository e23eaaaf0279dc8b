package dev.byoos.system;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The whole local pipeline as child processes: {@code byoos-devstack.jar up} starts the real
 * servers and the four services' packaged jars. Its standard input is held open for the test's
 * lifetime, so the pipeline stops with the test JVM however that ends.
 */
final class LocalPipeline implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofMinutes(5);

    final Path root;
    final Path dataDir;
    final Properties endpoints;
    final Properties services;
    private final Process process;
    private final OutputStream stdin;

    private LocalPipeline(Path root, Path dataDir, Process process, Properties endpoints, Properties services) {
        this.root = root;
        this.dataDir = dataDir;
        this.process = process;
        this.stdin = process.getOutputStream();
        this.endpoints = endpoints;
        this.services = services;
    }

    static LocalPipeline start() throws IOException, InterruptedException {
        return start(Map.of());
    }

    /**
     * @param environment added to the stack's environment; the services it starts inherit it, so
     *                    Quarkus settings (e.g. {@code QUARKUS_OTEL_*}) reach all four
     */
    static LocalPipeline start(Map<String, String> environment) throws IOException, InterruptedException {
        Path root = Path.of(System.getProperty("byoos.repo.root", "..")).toAbsolutePath().normalize();
        Path jar = root.resolve("deploy/devstack/target/byoos-devstack.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run the tests through the reactor (mvn verify)");
        }
        Path dataDir = root.resolve("system-tests/target/pipeline-" + ProcessHandle.current().pid());
        Files.createDirectories(dataDir);
        Path log = dataDir.resolve("up.log");
        ProcessBuilder builder = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-jar", jar.toString(), "up", "--data-dir", dataDir.toString(), "--root", root.toString(),
                "--watch-stdin"))
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        Path servicesFile = dataDir.resolve("services.properties");
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!Files.exists(servicesFile)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroy();
                throw new IllegalStateException("the local pipeline did not start; " + log + ":\n"
                        + Files.readString(log));
            }
            Thread.sleep(250);
        }
        return new LocalPipeline(root, dataDir, process, load(dataDir.resolve("endpoints.properties")),
                load(servicesFile));
    }

    String specService() {
        return services.getProperty("spec-service.url");
    }

    /** An Authorization header for spec-service, signed with this stack's key (as ./byoos token does). */
    String bearer(String subject, String role, String... teams) throws IOException {
        return "Bearer " + dev.byoos.localauth.LocalTokens.in(dataDir.resolve("auth"))
                .mint(subject, java.util.List.of(teams), java.util.List.of(role), java.time.Duration.ofHours(1));
    }

    private static Properties load(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        return properties;
    }

    @Override
    public void close() throws Exception {
        stdin.close();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroy();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
