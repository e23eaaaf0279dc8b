package dev.byoos.system;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Reader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The whole local pipeline as child processes: {@code byoos-devstack.jar up} starts the real
 * servers and the four services' packaged jars. Its standard input is held open for the test's
 * lifetime, so the pipeline stops with the test JVM however that ends.
 */
final class LocalPipeline implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(5);
    private static final Set<String> FINAL_STATES = Set.of("PUBLISHED", "FAILED", "CANCELLED");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

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

    /** A principal's password from the stack's endpoints file (the broker refuses clients without one). */
    String kafkaPassword(String principal) {
        String password = endpoints.getProperty("kafka.password." + principal);
        if (password == null) {
            throw new IllegalStateException("the stack's endpoints name no Kafka password for " + principal);
        }
        return password;
    }

    /** Kafka client settings that log in to the stack's broker as {@code principal}. */
    Map<String, Object> kafkaClientConfig(String principal) {
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", endpoints.getProperty("kafka.bootstrap.servers"));
        config.put("security.protocol", endpoints.getProperty("kafka.security.protocol"));
        config.put("sasl.mechanism", endpoints.getProperty("kafka.sasl.mechanism"));
        config.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + principal + "\" password=\"" + kafkaPassword(principal) + "\";");
        return config;
    }

    /**
     * @param environment added to the stack's environment; the services it starts inherit it, so
     *                    Quarkus settings (e.g. {@code QUARKUS_OTEL_*}) reach all four
     */
    static LocalPipeline start(Map<String, String> environment) throws IOException, InterruptedException {
        return start("pipeline", "spec-service,build-worker,artifact-service,pack-publisher", environment);
    }

    /**
     * @param name     names the stack's data directory, so that test classes with different
     *                 services never share one
     * @param services the services {@code up} starts (a test may run some itself)
     */
    static LocalPipeline start(String name, String services) throws IOException, InterruptedException {
        return start(name, services, Map.of());
    }

    /**
     * @param name        names the stack's data directory
     * @param environment added to the stack's environment, inherited by the services it starts
     */
    static LocalPipeline start(String name, String services, Map<String, String> environment)
            throws IOException, InterruptedException {
        Path root = Path.of(System.getProperty("byoos.repo.root", "..")).toAbsolutePath().normalize();
        Path jar = root.resolve("deploy/devstack/target/byoos-devstack.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run the tests through the reactor (mvn verify)");
        }
        Path dataDir = root.resolve("system-tests/target/" + name + "-" + ProcessHandle.current().pid());
        Files.createDirectories(dataDir);
        Path log = dataDir.resolve("up.log");
        ProcessBuilder builder = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-jar", jar.toString(), "up", "--data-dir", dataDir.toString(), "--root", root.toString(),
                "--services", services, "--watch-stdin"))
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        Path servicesFile = dataDir.resolve("services.properties");
        try {
            await("the local pipeline's services").atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(250))
                    .until(() -> Files.exists(servicesFile) || !process.isAlive());
        } catch (ConditionTimeoutException tooSlow) {
            // reported below with the launcher's log
        }
        if (!Files.exists(servicesFile)) {
            process.destroy();
            throw new IllegalStateException("the local pipeline did not start; " + log + ":\n" + Files.readString(log));
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

    /**
     * Polls spec-service until the build is PUBLISHED, FAILED or CANCELLED.
     *
     * @return the build as {@code GET /api/v1/builds/{id}} shows it
     * @throws AssertionError when it is still unfinished after {@link #BUILD_TIMEOUT}
     */
    JsonNode awaitFinalState(String buildId) {
        JsonNode[] build = new JsonNode[1];
        try {
            await("build " + buildId + " finishing").atMost(BUILD_TIMEOUT).pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                                URI.create(specService() + "/api/v1/builds/" + buildId))
                                .header("Authorization", bearer("system-test", "viewer", "platform")).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() != 200) {
                            throw new AssertionError("GET build " + buildId + " answered " + response.statusCode()
                                    + ": " + response.body());
                        }
                        build[0] = JSON.readTree(response.body());
                        return FINAL_STATES.contains(build[0].path("state").asText());
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("build still " + build[0].path("state").asText() + " after " + BUILD_TIMEOUT + ": "
                    + build[0], e);
        }
        return build[0];
    }

    /**
     * Kills a service {@code up} started (kill -9, as a lost pod), leaving it down: its
     * {@code <service>.stopped} file tells the launcher's supervisor not to start it again.
     *
     * @param service its folder, e.g. {@code build-worker}
     */
    void kill(String service) throws IOException {
        Files.writeString(dataDir.resolve(service + ".stopped"), "killed by a test, to stay down\n");
        String jar = root.resolve(service).resolve("target/quarkus-app/quarkus-run.jar").toString();
        List<ProcessHandle> found = process.descendants()
                .filter(child -> child.info().arguments().map(List::of).orElse(List.of()).contains(jar)).toList();
        if (found.isEmpty()) {
            throw new IllegalStateException("no running " + service + " under the stack's launcher");
        }
        found.forEach(ProcessHandle::destroyForcibly);
        found.forEach(child -> child.onExit().join());
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
