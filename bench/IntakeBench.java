import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load generator for spec intake (single-file program: java bench/IntakeBench.java ...).
 * Sends N distinct specs at a bounded concurrency and reports throughput and latency
 * percentiles; in submit mode it then waits until the outbox has published every build request
 * (no build left ACCEPTED), so the figure includes the outbox.
 *
 * usage: java bench/IntakeBench.java SPEC_SERVICE_URL submit|validate N CONCURRENCY TEAM TOKEN
 */
public class IntakeBench {

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String mode = args[1];
        int total = Integer.parseInt(args[2]);
        int concurrency = Integer.parseInt(args[3]);
        String team = args[4];
        String authorization = "Bearer " + args[5];
        String template = Files.readString(Path.of("examples/debian-12-qemu.yaml")).replace("team: platform", "team: " + team);
        String path = mode.equals("validate") ? "/api/v1/specs/validate" : "/api/v1/specs";
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();

        // Warm-up: both paths until the JIT has compiled them (300 dry runs used to end while C2 was
        // still busy, and the submit path was never warmed), then the outbox drained, so the measured
        // phase starts from a service in its steady state.
        int warmup = Math.max(1000, total / 2);
        run(http, url + "/api/v1/specs/validate", authorization, template, "warmup-validate", warmup, concurrency);
        run(http, url + "/api/v1/specs", authorization, template, "warmup-submit-" + System.currentTimeMillis(), warmup,
                concurrency);
        awaitOutboxDrained(http, url, team, authorization);
        Map<String, Long> cpuAtStart = cpuTicks();
        long start = System.nanoTime();
        Result result = run(http, url + path, authorization, template, mode + "-" + System.currentTimeMillis(), total, concurrency);
        double requestSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%s: %d requests, concurrency %d, %.1f s, %.0f requests/s, statuses %s%n", mode, total,
                concurrency, requestSeconds, total / requestSeconds, result.statuses);
        System.out.printf("%s latency ms: p50 %.1f  p95 %.1f  p99 %.1f  max %.1f%n", mode, result.percentile(50),
                result.percentile(95), result.percentile(99), result.percentile(100));
        if (mode.equals("submit")) {
            awaitOutboxDrained(http, url, team, authorization);
            double withOutbox = (System.nanoTime() - start) / 1e9;
            System.out.printf("submit incl. outbox: every build request published after %.1f s: %.0f specs/s%n",
                    withOutbox, total / withOutbox);
        }
        Map<String, Long> cpuAtEnd = cpuTicks();
        StringBuilder cpu = new StringBuilder();
        cpuAtEnd.forEach((process, ticks) -> cpu.append(String.format("  %s %.2f", process,
                10.0 * (ticks - cpuAtStart.getOrDefault(process, 0L)) / total)));
        System.out.printf("%s CPU ms per request:%s%n", mode, cpu);
    }

    /**
     * utime + stime (in 10 ms ticks) of spec-service and of the stack's other processes (PostgreSQL;
     * the devstack JVM with Kafka), by what their command lines, or their parents', name. The
     * harness is left out.
     */
    static Map<String, Long> cpuTicks() {
        Map<String, Long> ticks = new TreeMap<>();
        ProcessHandle.allProcesses().forEach(process -> {
            String label = label(process);
            if (label != null) {
                try {
                    String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
                    // Fields after the command name in parentheses (which may hold spaces): state is field 3.
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks.merge(label, Long.parseLong(fields[11]) + Long.parseLong(fields[12]), Long::sum);
                } catch (java.io.IOException | java.io.UncheckedIOException gone) {
                    // Exited between the listing and the read.
                }
            }
        });
        return ticks;
    }

    private static String label(ProcessHandle process) {
        String root = Path.of("").toAbsolutePath().toString();
        for (Optional<ProcessHandle> current = Optional.of(process); current.isPresent();
                current = current.get().parent()) {
            String commandLine;
            try {
                commandLine = Files.readString(Path.of("/proc", Long.toString(current.get().pid()), "cmdline"))
                        .replace('\0', ' ');
            } catch (java.io.IOException | java.io.UncheckedIOException gone) {
                return null;
            }
            if (commandLine.contains(root + "/spec-service/target")) {
                return "spec-service";
            }
            if (commandLine.contains("bench-intake/postgres")) {
                return "PostgreSQL";
            }
            if (commandLine.contains("--data-dir target/bench-intake")) {
                return "Kafka+devstack";
            }
        }
        return null;
    }

    /** Waits until no build of the team is left ACCEPTED: the outbox has published every build request. */
    static void awaitOutboxDrained(HttpClient http, String url, String team, String authorization) throws Exception {
        Pattern totalField = Pattern.compile("\"total\":(\\d+)");
        while (true) {
            String body = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/builds?team=" + team
                    + "&state=ACCEPTED&size=1")).header("Authorization", authorization).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher matcher = totalField.matcher(body);
            if (matcher.find() && matcher.group(1).equals("0")) {
                return;
            }
            Thread.sleep(20);
        }
    }

    record Result(List<Double> latencies, Map<Integer, Integer> statuses) {
        double percentile(int p) {
            List<Double> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
            return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
        }
    }

    static Result run(HttpClient http, String url, String authorization, String template, String prefix, int total, int concurrency)
            throws InterruptedException {
        Semaphore slots = new Semaphore(concurrency);
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        AtomicInteger failures = new AtomicInteger();
        List<CompletableFuture<?>> inFlight = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            slots.acquire();
            String spec = template.replace("name: debian-12-node", "name: " + (prefix + "-" + i).toLowerCase());
            long sent = System.nanoTime();
            inFlight.add(http.sendAsync(HttpRequest.newBuilder(URI.create(url))
                    .header("Content-Type", "application/yaml")
                    .header("Authorization", authorization)
                    .POST(HttpRequest.BodyPublishers.ofString(spec)).build(), HttpResponse.BodyHandlers.discarding())
                    .whenComplete((response, error) -> {
                        latencies.add((System.nanoTime() - sent) / 1e6);
                        if (error != null) {
                            failures.incrementAndGet();
                        } else {
                            statuses.merge(response.statusCode(), 1, Integer::sum);
                        }
                        slots.release();
                    }));
        }
        CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
        if (failures.get() > 0) {
            statuses.put(-1, failures.get());
        }
        return new Result(latencies, new TreeMap<>(statuses));
    }
}
