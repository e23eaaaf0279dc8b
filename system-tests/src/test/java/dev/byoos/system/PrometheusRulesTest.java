package dev.byoos.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * The alert rules in deploy/prometheus: Prometheus's own promtool (Debian package {@code prometheus})
 * accepts the configuration and the rules and passes their unit tests; each alert is tested both
 * firing and silent, says how bad it is and what it means, and has its section in docs/runbook.md;
 * and the Grafana dashboard links to them.
 */
class PrometheusRulesTest {

    private static final Set<String> SEVERITIES = Set.of("page", "ticket");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final Path root = Path.of(System.getProperty("byoos.repo.root", "..")).toAbsolutePath().normalize();
    private final Path prometheus = root.resolve("deploy/prometheus");

    @Test
    void promtoolAcceptsTheConfigurationAndTheRulesAndTheirUnitTestsPass() throws Exception {
        promtool("check", "config", prometheus.resolve("prometheus.yml").toString());
        promtool("check", "rules", prometheus.resolve("byoos-alerts.yml").toString());
        promtool("test", "rules", prometheus.resolve("tests/byoos-alerts.test.yml").toString());
    }

    @Test
    void theScrapeConfigurationLoadsTheRules() throws IOException {
        JsonNode config = YAML.readTree(prometheus.resolve("prometheus.yml").toFile());
        assertEquals(List.of("byoos-alerts.yml"), YAML.convertValue(config.path("rule_files"), List.class));
    }

    @Test
    void everyAlertHasASeverityASummaryADescriptionAndARunbookSection() throws IOException {
        String runbook = Files.readString(root.resolve("docs/runbook.md"), StandardCharsets.UTF_8);
        for (JsonNode rule : alerts().values()) {
            String name = rule.path("alert").asText();
            assertTrue(SEVERITIES.contains(rule.path("labels").path("severity").asText()), name + ": severity");
            assertFalse(rule.path("annotations").path("summary").asText().isBlank(), name + ": summary");
            assertFalse(rule.path("annotations").path("description").asText().isBlank(), name + ": description");
            assertEquals("docs/runbook.md#" + name.toLowerCase(Locale.ROOT),
                    rule.path("annotations").path("runbook_url").asText(), name);
            assertTrue(runbook.contains("\n## " + name + "\n"), "docs/runbook.md has no section \"## " + name + "\"");
        }
    }

    @Test
    void everyAlertIsUnitTestedFiringAndSilent() throws IOException {
        Map<String, Set<String>> outcomes = new TreeMap<>();
        JsonNode tests = YAML.readTree(prometheus.resolve("tests/byoos-alerts.test.yml").toFile());
        for (JsonNode test : tests.path("tests")) {
            for (JsonNode check : test.path("alert_rule_test")) {
                outcomes.computeIfAbsent(check.path("alertname").asText(), alert -> new TreeSet<>())
                        .add(check.path("exp_alerts").isEmpty() ? "silent" : "firing");
            }
        }
        Map<String, Set<String>> expected = new TreeMap<>();
        alerts().keySet().forEach(alert -> expected.put(alert, Set.of("firing", "silent")));
        assertEquals(expected, outcomes);
    }

    @Test
    void theDashboardListsTheAlertsOfItsPrometheusAndLinksToThem() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(root.resolve("deploy/grafana/dashboards/byoos-pipeline.json").toFile());
        String dataSource = YAML.readTree(root.resolve("deploy/grafana/provisioning/datasources/prometheus.yml").toFile())
                .path("datasources").get(0).path("name").asText();
        List<String> alertLists = new ArrayList<>();
        dashboard.path("panels").forEach(panel -> {
            if ("alertlist".equals(panel.path("type").asText())) {
                alertLists.add(panel.path("options").path("datasource").asText());
            }
        });
        assertEquals(List.of(dataSource), alertLists, "one alert list of the provisioned Prometheus's rules");
        String group = YAML.readTree(prometheus.resolve("byoos-alerts.yml").toFile()).path("groups").get(0).path("name").asText();
        assertTrue(dashboard.path("links").findValuesAsText("url").contains("/alerting/list?view=list&search=group:" + group),
                "a dashboard link to the alert group: " + dashboard.path("links"));
    }

    /** The alerting rules of byoos-alerts.yml by name. */
    private Map<String, JsonNode> alerts() throws IOException {
        Map<String, JsonNode> alerts = new TreeMap<>();
        for (JsonNode group : YAML.readTree(prometheus.resolve("byoos-alerts.yml").toFile()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (rule.has("alert")) {
                    assertEquals(null, alerts.put(rule.path("alert").asText(), rule), "two alerts named " + rule.path("alert"));
                }
            }
        }
        assertFalse(alerts.isEmpty());
        return alerts;
    }

    private static void promtool(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(arguments));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException missing) {
            throw new AssertionError("promtool is missing: install the Debian package prometheus (.ci/run does)", missing);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(2, TimeUnit.MINUTES), String.join(" ", command) + " did not finish");
        assertEquals(0, process.exitValue(), String.join(" ", command) + ":\n" + output);
    }
}
