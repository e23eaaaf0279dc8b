package dev.byoos.system;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.core.ConditionTimeoutException;

/**
 * A build-worker started by the test itself, as its own JVM from the packaged jar and wired to the
 * local stack the way the devstack launcher wires it, so that the test can kill it like an
 * orchestrator loses a pod.
 */
final class WorkerProcess implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    private static final Pattern LISTENING = Pattern.compile("Listening on: https?://[^\\s]+:(\\d+)");

    private final Process process;
    private final Path log;

    private WorkerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts a worker and waits until it is ready (Kafka channels and the staging bucket).
     *
     * @param instanceName the worker's name (HOSTNAME): its own cancellations consumer group
     * @param jvmOptions   extra JVM options, e.g. configuration overrides
     */
    static WorkerProcess start(LocalPipeline pipeline, String instanceName, Path basesDir, Path scratchDir,
            List<String> jvmOptions) throws IOException, InterruptedException {
        Path jar = pipeline.root.resolve("build-worker/target/quarkus-app/quarkus-run.jar");
        Path log = pipeline.dataDir.resolve("logs").resolve(instanceName + ".log");
        Files.createDirectories(log.getParent());
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(pipeline.root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = builder.environment();
        env.put("HOSTNAME", instanceName);
        // Port 0: the worker binds a free port itself and names it in its log (no port freed and bound again later).
        env.put("QUARKUS_HTTP_PORT", "0");
        env.put("KAFKA_BOOTSTRAP_SERVERS", pipeline.endpoints.getProperty("kafka.bootstrap.servers"));
        env.put("KAFKA_PASSWORD", pipeline.kafkaPassword("build-worker"));
        env.put("BYOOS_S3_ENDPOINT", pipeline.endpoints.getProperty("s3.endpoint"));
        env.put("BYOOS_S3_REGION", pipeline.endpoints.getProperty("s3.region"));
        env.put("BYOOS_S3_ACCESS_KEY", pipeline.endpoints.getProperty("s3.access-key"));
        env.put("BYOOS_S3_SECRET_KEY", pipeline.endpoints.getProperty("s3.secret-key"));
        env.put("BYOOS_S3_STAGING_BUCKET", pipeline.endpoints.getProperty("s3.bucket.staging"));
        env.put("BYOOS_BASES_DIR", basesDir.toString());
        env.put("BYOOS_SCRATCH_DIR", scratchDir.toString());
        env.put("BYOOS_BASE_CACHE_DIR", pipeline.dataDir.resolve("base-cache").toString());
        // The test's own image cache: the machine-wide default keeps images across runs, and a
        // cached image would complete the build before the test could kill the worker mid-build.
        env.put("BYOOS_IMAGE_CACHE_DIR", pipeline.dataDir.resolve("image-cache").toString());
        env.put("BYOOS_TREE_CACHE_DIR", pipeline.dataDir.resolve("tree-cache").toString());
        // The stand-in Kubernetes components `up` seeded (devstack's KubernetesStandInMirror.DIRECTORY).
        env.put("BYOOS_KUBERNETES_MIRROR", pipeline.dataDir.resolve("kubernetes-mirror").toString());
        env.put("BYOOS_KUBERNETES_CACHE_DIR", pipeline.dataDir.resolve("kubernetes-components").toString());
        long logOffset = Files.exists(log) ? Files.size(log) : 0;
        WorkerProcess worker = new WorkerProcess(builder.start(), log);
        try {
            worker.awaitReady(worker.awaitListeningPort(logOffset));
        } catch (RuntimeException e) {
            worker.close();
            throw e;
        }
        return worker;
    }

    /** The worker's process tree now: the build's commands and scripts run below it. */
    List<ProcessHandle> descendants() {
        return process.descendants().toList();
    }

    /** SIGKILL: no shutdown hook, no cleanup, no offset commit. */
    void killHard() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("worker pid " + process.pid() + " survived SIGKILL");
        }
    }

    /** The HTTP port Quarkus reports it bound ("Listening on: http://...:PORT"), from what it logged since {@code logOffset}. */
    private int awaitListeningPort(long logOffset) {
        int[] port = new int[1];
        waitWhileAlive("the worker's HTTP port", () -> {
            byte[] logged = Files.readAllBytes(log);
            Matcher listening = LISTENING.matcher(new String(logged, (int) Math.min(logOffset, logged.length),
                    (int) Math.max(0, logged.length - logOffset), StandardCharsets.UTF_8));
            if (listening.find()) {
                port[0] = Integer.parseInt(listening.group(1));
                return true;
            }
            return false;
        });
        return port[0];
    }

    private void awaitReady(int port) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        URI ready = URI.create("http://127.0.0.1:" + port + "/q/health/ready");
        waitWhileAlive("the worker's readiness", () -> {
            try {
                return http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException notListeningYet) {
                return false;
            }
        });
    }

    private void waitWhileAlive(String what, Callable<Boolean> condition) {
        try {
            await(what).atMost(READY_TIMEOUT).pollInterval(Duration.ofMillis(250)).until(() -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the worker exited with " + process.exitValue()
                            + " while starting; see " + log);
                }
                return condition.call();
            });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("the worker was not ready after " + READY_TIMEOUT + "; see " + log, e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
