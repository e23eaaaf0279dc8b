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
 * <p>Only answers count: an HTTP status other than 200, from the same process that gave the ones
 * before it. A process that does not answer at all (starting again, or gone) is the supervisor's
 * business, and a slow start is never killed. Unlike Kubernetes, a probe left unanswered for its
 * 5 s does not count either: a two-core machine under a test suite's load answers slowly at times,
 * and a process that hangs for good is not what this stand-in is for.
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
    /** Set by {@link #close()}: a probe that already had its answers kills nothing after it. */
    private volatile boolean closed;

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
        Failures failures = new Failures();
        scheduler.scheduleWithFixedDelay(() -> probe(name, liveness, process, failures), period.toMillis(),
                period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** "Not live" answers in a row, and the process that gave them: a new process starts from none. */
    private static final class Failures {
        long pid = -1;
        int count;
    }

    private void probe(String name, URI liveness, Supplier<Process> process, Failures failures) {
        Process asked = process.get();
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
        if (failures.pid != asked.pid()) {
            failures.pid = asked.pid();
            failures.count = 0;
        }
        if (status == 200) {
            failures.count = 0;
            return;
        }
        if (++failures.count < failureThreshold) {
            return;
        }
        failures.count = 0;
        synchronized (this) {
            if (closed || process.get() != asked) {
                return;
            }
            progress.printf("  killing %-16s pid %-7d: %s answered HTTP %d %d times in a row (as Kubernetes' "
                    + "liveness probe would)%n", name, asked.pid(), liveness.getPath(), status, failureThreshold);
            asked.destroyForcibly();
        }
    }

    /** Stops probing; no kill follows, not even by a probe answered just now. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        scheduler.shutdownNow();
    }
}
