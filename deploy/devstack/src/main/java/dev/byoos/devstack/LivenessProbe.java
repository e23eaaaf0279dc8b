package dev.byoos.devstack;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * What Kubernetes' liveness probe does for a pod (deploy/kubernetes: {@code /q/health/live}, every
 * 10 s, three failures in a row), for the local stack's services: each service's liveness is asked
 * every period, and a process that answered "not live" that many times in a row is killed; the
 * launcher's supervisor then starts it again, as Kubernetes restarts the container. Without it a
 * service whose consumer channel ended (the messaging extension reports such a channel as not
 * live: for example a dead letter Kafka did not take during an outage) stayed dead in the local
 * stack, where under Kubernetes it is restarted and the record delivered again.
 *
 * <p>Only answers count: an HTTP status other than 200. A process that does not answer at all
 * (starting again, or gone) is the supervisor's business, and a slow start is never killed.
 */
final class LivenessProbe implements AutoCloseable {

    static final Duration PERIOD = Duration.ofSeconds(10);
    static final int FAILURE_THRESHOLD = 3;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "devstack-liveness");
        thread.setDaemon(true);
        return thread;
    });
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final Duration period;
    private final int failureThreshold;
    private final PrintStream progress;

    LivenessProbe(Duration period, int failureThreshold, PrintStream progress) {
        this.period = period;
        this.failureThreshold = failureThreshold;
        this.progress = progress;
    }

    /**
     * Probes {@code liveness} from now on.
     *
     * @param process the service's current process (the supervisor replaces it after a kill)
     */
    void watch(String name, URI liveness, Supplier<Process> process) {
        AtomicInteger failures = new AtomicInteger();
        scheduler.scheduleWithFixedDelay(() -> probe(name, liveness, process, failures), period.toMillis(),
                period.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void probe(String name, URI liveness, Supplier<Process> process, AtomicInteger failures) {
        int status;
        try {
            status = http.send(HttpRequest.newBuilder(liveness).timeout(REQUEST_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException noAnswer) {
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (status == 200) {
            failures.set(0);
            return;
        }
        if (failures.incrementAndGet() < failureThreshold) {
            return;
        }
        failures.set(0);
        Process current = process.get();
        progress.printf("  killing %-16s pid %-7d: %s answered HTTP %d %d times in a row (as Kubernetes' liveness "
                + "probe would)%n", name, current.pid(), liveness.getPath(), status, failureThreshold);
        current.destroyForcibly();
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
