package dev.byoos.system;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The Grafana dashboard against a real Prometheus (Debian package {@code prometheus}) scraping the
 * local pipeline: after a few builds every query of every panel, its template variables replaced
 * as Grafana would for "All", returns at least one sample with a value, and the alert rules of
 * deploy/prometheus load and evaluate without error on the real series. Metric names alone
 * (PipelineSystemTest) do not show a query that selects nothing or only NaN.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardPrometheusSystemTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SERVICES = List.of("spec-service", "build-worker", "artifact-service",
            "pack-publisher");
    /**
     * Long enough for Micrometer's Kafka binder to register the per-partition lag series (on its
     * refresh, once a minute, after a consumer's first fetch) and for a few scrapes after that.
     */
    private static final Duration DATA_TIMEOUT = Duration.ofMinutes(4);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private LocalPipeline pipeline;
    private Process prometheus;
    private URI prometheusUrl;

    @BeforeAll
    void startPipelineAndPrometheus() throws Exception {
        pipeline = LocalPipeline.start("prometheus", String.join(",", SERVICES));
        Path home = Files.createDirectories(pipeline.dataDir.resolve("prometheus"));
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Files.writeString(home.resolve("prometheus.yml"), scrapeConfiguration(), StandardCharsets.UTF_8);
        try {
            prometheus = new ProcessBuilder("prometheus", "--config.file=" + home.resolve("prometheus.yml"),
                    "--storage.tsdb.path=" + home.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(home.resolve("prometheus.log").toFile()).start();
        } catch (IOException missing) {
            throw new AssertionError("prometheus is missing: install the Debian package prometheus (.ci/run does)", missing);
        }
        prometheusUrl = URI.create("http://127.0.0.1:" + port);
        // Until it listens, connections are refused: on a loaded machine that can outlast the first polls.
        await("Prometheus ready").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(250))
                .ignoreException(java.net.ConnectException.class)
                .until(() -> {
                    assertTrue(prometheus.isAlive(), () -> "prometheus exited: " + log(home));
                    return get("/-/ready").statusCode() == 200;
                });
    }

    @AfterAll
    void stop() throws Exception {
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(30, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        }
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void everyDashboardQueryReturnsDataFromARealPrometheusAfterAFewBuilds() throws Exception {
        // Counters and histograms appear with their first observation, and rate() needs a second
        // one inside its window: builds one after another while Prometheus scrapes.
        build("published-1", false, "PUBLISHED");
        build("failed-1", true, "FAILED");
        build("published-2", false, "PUBLISHED");
        build("failed-2", true, "FAILED");

        JsonNode dashboard = JSON.readTree(pipeline.root.resolve("deploy/grafana/dashboards/byoos-pipeline.json").toFile());
        Map<String, String> queries = queries(dashboard);
        assertFalse(queries.isEmpty());
        Map<String, String> empty = new TreeMap<>();
        try {
            await("every dashboard query returning data").atMost(DATA_TIMEOUT).pollInterval(Duration.ofSeconds(3))
                    .until(() -> {
                        empty.clear();
                        for (Map.Entry<String, String> query : queries.entrySet()) {
                            if (!hasAValue(query(query.getValue()))) {
                                empty.put(query.getKey(), query.getValue());
                            }
                        }
                        return empty.isEmpty();
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(empty.size() + " of " + queries.size() + " dashboard queries return no data: " + empty, e);
        }

        // The one template variable: its values are the teams that submitted builds.
        JsonNode teams = JSON.readTree(get("/api/v1/label/team/values?match[]="
                + URLEncoder.encode("byoos_builds_requested_total", StandardCharsets.UTF_8)).body()).path("data");
        assertTrue(teams.toString().contains("\"platform\""), teams::toString);
    }

    @Test
    void theAlertRulesEvaluateOnTheRealSeries() throws Exception {
        await("every alert rule evaluated").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    JsonNode groups = JSON.readTree(get("/api/v1/rules").body()).path("data").path("groups");
                    assertEquals(1, groups.size(), groups::toString);
                    assertFalse(groups.get(0).path("rules").isEmpty());
                    for (JsonNode rule : groups.get(0).path("rules")) {
                        assertEquals("ok", rule.path("health").asText(), rule::toString);
                    }
                });
    }

    /** Scrapes the four services every second, and loads the repository's alert rules. */
    private String scrapeConfiguration() {
        StringBuilder targets = new StringBuilder();
        for (String service : SERVICES) {
            URI url = URI.create(pipeline.services.getProperty(service + ".url"));
            targets.append("      - targets: [\"").append(url.getAuthority()).append("\"]\n")
                    .append("        labels: {service: ").append(service).append("}\n");
        }
        return "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                + "rule_files:\n  - " + pipeline.root.resolve("deploy/prometheus/byoos-alerts.yml") + "\n"
                + "scrape_configs:\n  - job_name: byoos\n    metrics_path: /q/metrics\n    static_configs:\n" + targets;
    }

    /**
     * Every panel query by "panel title [refId]", with the dashboard's template variables replaced
     * by their "All" value, as Grafana sends them.
     */
    private static Map<String, String> queries(JsonNode dashboard) {
        Map<String, String> variables = new LinkedHashMap<>();
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            assertTrue(variable.has("allValue"), "a variable this test cannot fill: " + variable);
            variables.put(variable.path("name").asText(), variable.path("allValue").asText());
        }
        Map<String, String> queries = new TreeMap<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                String expression = target.path("expr").asText();
                for (Map.Entry<String, String> variable : variables.entrySet()) {
                    expression = expression.replace("${" + variable.getKey() + "}", variable.getValue())
                            .replace("$" + variable.getKey(), variable.getValue());
                }
                assertFalse(expression.contains("$"), "an unknown variable in " + expression);
                queries.put(panel.path("title").asText() + " [" + target.path("refId").asText() + "]", expression);
            }
        }
        return queries;
    }

    private JsonNode query(String promql) throws IOException, InterruptedException {
        HttpResponse<String> response = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        assertEquals(200, response.statusCode(), promql + ": " + response.body());
        return JSON.readTree(response.body()).path("data").path("result");
    }

    /** A sample Grafana can draw: a number, not NaN (a quantile of no observations). */
    private static boolean hasAValue(JsonNode result) {
        for (JsonNode series : result) {
            String value = series.path("value").get(1).asText();
            if (!value.equals("NaN")) {
                return true;
            }
        }
        return false;
    }

    /** A spec run to its end: published, or refused by the worker (scripts need a shell the skeleton base has not). */
    private void build(String name, boolean failing, String expectedState) throws Exception {
        String unique = name + "-" + Long.toHexString(System.nanoTime());
        String spec = Files.readString(pipeline.root.resolve("examples/debian-12-qemu.yaml"))
                .replace("name: debian-12-node", "name: " + unique)
                .replace("name: byoos-debian-12", "name: byoos-" + unique);
        if (failing) {
            spec = spec.replace("  customizations:\n", "  customizations:\n    scripts:\n"
                    + "      - {name: hello, stage: post, content: \"echo hello\"}\n");
        }
        HttpResponse<String> submitted = http.send(HttpRequest.newBuilder(URI.create(pipeline.specService() + "/api/v1/specs"))
                .header("Content-Type", "application/yaml")
                .header("Authorization", pipeline.bearer("system-test", "submitter", "platform"))
                .POST(HttpRequest.BodyPublishers.ofString(spec)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, submitted.statusCode(), submitted.body());
        JsonNode build = pipeline.awaitFinalState(JSON.readTree(submitted.body()).path("builds").get(0).path("id").asText());
        assertEquals(expectedState, build.path("state").asText(), build.toPrettyString());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(prometheusUrl.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String log(Path home) {
        try {
            return Files.readString(home.resolve("prometheus.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }
}
