package dev.byoos.spec.service;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.health.SmallRyeHealthReporter;
import io.smallrye.mutiny.Uni;

import dev.byoos.spec.config.SpecServiceConfig;

/**
 * Whether the pipeline's dependencies answer, for the pipeline page: Kafka, PostgreSQL, S3, the
 * registry and the four services. The source is each service's own readiness, because each
 * service already checks exactly the dependencies it needs (artifact-service and build-worker
 * their S3 buckets, pack-publisher the registry, every service its Kafka channels, spec-service
 * its database): spec-service reads its own in-process and polls the others' {@code /q/health/ready}
 * at configured URLs ({@code byoos.spec.pipeline.*}), server-side, so the browser never reaches
 * internal hosts. Progress reports' {@code waitingFor} would only speak while a build waits; the
 * readiness checks also speak when nothing is in flight. Only names and UP/DOWN leave this class,
 * never the checks' data (it holds internal URLs).
 */
@ApplicationScoped
public class DependencyHealth {

    private static final Logger LOG = Logger.getLogger(DependencyHealth.class);
    /** Readiness answers are a few hundred bytes; more is not read. */
    static final int MAX_READINESS_BYTES = 64 * 1024;
    static final String SPEC_SERVICE = "spec-service";
    static final String BUILD_WORKER = "build-worker";
    static final String ARTIFACT_SERVICE = "artifact-service";
    static final String PACK_PUBLISHER = "pack-publisher";
    private static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> SERVERS = List.of("kafka", "postgresql", "s3", "registry");

    public enum Status {
        /** Answers, and every check of it passed. */
        UP,
        /** A service that answers but is not ready: it waits for one of its dependencies. */
        NOT_READY,
        /** Does not answer, or a service's check of it failed. */
        DOWN,
        /** Nothing checks it (no configured service that uses it answered). */
        UNKNOWN
    }

    /**
     * @param kind     {@code server} (Kafka, PostgreSQL, S3, registry) or {@code service}
     * @param reason   why it is not UP: which check failed where, or what the request got
     * @param since    when it entered its status (first seen in it by this replica)
     * @param previous its status before; UP with a previous DOWN is a recovery
     */
    public record Dependency(String name, String kind, Status status, String reason, OffsetDateTime since,
            Status previous, OffsetDateTime checkedAt) {
    }

    /** One service's readiness as polled: its HTTP status (0: no answer) and body or error. */
    record Readiness(String service, int httpStatus, String body) {
    }

    private final SpecServiceConfig config;
    private final SmallRyeHealthReporter reporter;
    private final HttpClient http;
    private final Statuses statuses = new Statuses();

    public DependencyHealth(SpecServiceConfig config, SmallRyeHealthReporter reporter) {
        this.config = config;
        this.reporter = reporter;
        this.http = HttpClient.newBuilder().connectTimeout(config.pipeline().healthTimeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The dependencies as last checked: servers first, then services; empty before the first check. */
    public List<Dependency> dependencies() {
        List<Dependency> all = new ArrayList<>();
        for (String name : names()) {
            Optional.ofNullable(statuses.get(name)).ifPresent(all::add);
        }
        return all;
    }

    @Scheduled(every = "${byoos.spec.pipeline.health-poll-interval}", delayed = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> poll() {
        Uni<Readiness> own = reporter.getReadinessAsync()
                .map(health -> new Readiness(SPEC_SERVICE, health.isDown() ? 503 : 200, health.getPayload().toString()))
                .onFailure().recoverWithItem(e -> new Readiness(SPEC_SERVICE, 0, e.toString()));
        List<CompletableFuture<Readiness>> others = new ArrayList<>();
        configuredServices().forEach((service, url) -> others.add(fetch(service, url)));
        return own.flatMap(self -> Uni.createFrom().completionStage(CompletableFuture.allOf(
                others.toArray(CompletableFuture[]::new))).map(done -> {
                    List<Readiness> all = new ArrayList<>(List.of(self));
                    others.forEach(other -> all.add(other.join()));
                    return all;
                }))
                .invoke(all -> statuses.record(assess(all), OffsetDateTime.now(ZoneOffset.UTC)))
                .replaceWithVoid();
    }

    private Map<String, URI> configuredServices() {
        Map<String, URI> services = new LinkedHashMap<>();
        config.pipeline().buildWorker().ifPresent(url -> services.put(BUILD_WORKER, url));
        config.pipeline().artifactService().ifPresent(url -> services.put(ARTIFACT_SERVICE, url));
        config.pipeline().packPublisher().ifPresent(url -> services.put(PACK_PUBLISHER, url));
        return services;
    }

    private List<String> names() {
        List<String> names = new ArrayList<>(SERVERS);
        names.add(SPEC_SERVICE);
        names.addAll(configuredServices().keySet());
        return names;
    }

    private CompletableFuture<Readiness> fetch(String service, URI base) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/q/health/ready"))
                .timeout(config.pipeline().healthTimeout()).GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream())
                .thenApply(response -> {
                    try (InputStream body = response.body()) {
                        return new Readiness(service, response.statusCode(),
                                new String(body.readNBytes(MAX_READINESS_BYTES), java.nio.charset.StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        return new Readiness(service, 0, e.toString());
                    }
                })
                .exceptionally(e -> new Readiness(service, 0, e.getCause() != null ? e.getCause().toString() : e.toString()));
    }

    /** A status and reason per dependency from the services' readiness answers. */
    static Map<String, Dependency> assess(List<Readiness> answers) {
        Map<String, List<String>> failedChecks = new LinkedHashMap<>();
        Map<String, Boolean> checked = new LinkedHashMap<>();
        Map<String, Dependency> assessed = new LinkedHashMap<>();
        for (Readiness answer : answers) {
            JsonNode checks = checks(answer.body());
            if (answer.httpStatus() == 0 || checks == null) {
                assessed.put(answer.service(), dependency(answer.service(), "service", Status.DOWN,
                        answer.httpStatus() == 0 ? "no answer from its readiness endpoint"
                                : "its readiness endpoint answered HTTP " + answer.httpStatus()));
                continue;
            }
            List<String> failing = new ArrayList<>();
            for (JsonNode check : checks) {
                String name = check.path("name").asText();
                boolean up = "UP".equals(check.path("status").asText());
                if (!up) {
                    failing.add(name);
                }
                serverOf(name).ifPresent(server -> {
                    checked.put(server, true);
                    if (!up) {
                        failedChecks.computeIfAbsent(server, s -> new ArrayList<>())
                                .add("check '" + name + "' of " + answer.service() + " is down");
                    }
                });
            }
            boolean ready = answer.httpStatus() == 200 && failing.isEmpty();
            assessed.put(answer.service(), dependency(answer.service(), "service", ready ? Status.UP : Status.NOT_READY,
                    ready ? null : "not ready: " + (failing.isEmpty() ? "HTTP " + answer.httpStatus()
                            : String.join(", ", failing))));
        }
        for (String server : SERVERS) {
            List<String> failures = failedChecks.get(server);
            Status status = failures != null ? Status.DOWN : checked.containsKey(server) ? Status.UP : Status.UNKNOWN;
            assessed.put(server, dependency(server, "server", status,
                    failures != null ? String.join("; ", failures) : null));
        }
        return assessed;
    }

    /** Which server a readiness check is about, by the names the services' checks have. */
    static Optional<String> serverOf(String check) {
        String name = check.toLowerCase(Locale.ROOT);
        if (name.contains("postgres") || name.contains("database")) {
            return Optional.of("postgresql");
        }
        if (name.contains("kafka") || name.contains("messaging")) {
            return Optional.of("kafka");
        }
        if (name.contains("s3")) {
            return Optional.of("s3");
        }
        if (name.contains("registry")) {
            return Optional.of("registry");
        }
        return Optional.empty();
    }

    private static JsonNode checks(String body) {
        try {
            JsonNode checks = JSON.readTree(body).path("checks");
            return checks.isArray() ? checks : null;
        } catch (IOException | RuntimeException notJson) {
            return null;
        }
    }

    private static Dependency dependency(String name, String kind, Status status, String reason) {
        return new Dependency(name, kind, status, reason, null, null, null);
    }

    /** Keeps when each dependency entered its status, and the status before, for "recovered" on the page. */
    static final class Statuses {

        private final Map<String, Dependency> current = new ConcurrentHashMap<>();

        Dependency get(String name) {
            return current.get(name);
        }

        void record(Map<String, Dependency> assessed, OffsetDateTime now) {
            assessed.values().forEach(next -> current.compute(next.name(), (name, before) -> {
                if (before != null && before.status() == next.status()) {
                    return new Dependency(name, next.kind(), next.status(), next.reason(), before.since(), before.previous(),
                            now);
                }
                if (before != null) {
                    LOG.infof("dependency %s is now %s (was %s)%s", name, next.status(), before.status(),
                            next.reason() == null ? "" : ": " + next.reason());
                }
                return new Dependency(name, next.kind(), next.status(), next.reason(), now,
                        before == null ? null : before.status(), now);
            }));
        }
    }
}
