package dev.byoos.system;

import static org.awaitility.Awaitility.await;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The pipeline page in a real headless browser (Debian's chromium and chromium-driver) against the
 * whole local pipeline, services as separate processes: a viewer signs in with a token, sees the
 * build a submitter sends move through the stages live, drills into its timeline, and never sees
 * another team's build; then sees what an SRE watches: charts with data, S3 marked down during an
 * outage and recovered after, a stuck build once its worker is gone, and whether dead letters are
 * listed to them. The worker is killed last: the tests run in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelinePageSystemTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration PAGE_TIMEOUT = Duration.ofSeconds(30);
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** Short, so that a build without a worker is listed as stuck within the test. */
    private static final Duration STUCK_AFTER = Duration.ofSeconds(20);
    /** The devstack's S3 outage switch in its data directory (DevStack.S3_OUTAGE_FILE; no devstack classes here). */
    private static final String S3_OUTAGE_FILE = "s3-outage";
    private static final Duration OUTAGE_TIMEOUT = Duration.ofSeconds(60);
    private static final List<String> DEPENDENCIES = List.of("kafka", "postgresql", "s3", "registry", "spec-service",
            "build-worker", "artifact-service", "pack-publisher");
    /** A dead-letter listing as GET /api/v1/admin/dead-letters answers it, with a reason that is markup. */
    private static final String DEAD_LETTERS = """
            {"deadLetters": [
              {"id": "dl-1", "topic": "byoos.builds.completed.dlq", "partition": 0, "offset": 7,
               "originalTopic": "byoos.builds.completed", "consumerGroup": "artifact-service",
               "timestamp": "2026-12-05T03:00:00Z", "reason": "<img src=x id=injected>not a CloudEvent",
               "buildId": "7f2c0000-0000-0000-0000-000000000001", "eventType": "dev.byoos.build.completed",
               "eventId": "e-1", "replayedAt": null},
              {"id": "dl-2", "topic": "byoos.builds.failed.dlq", "partition": 1, "offset": 3,
               "originalTopic": "byoos.builds.failed", "consumerGroup": "spec-service",
               "timestamp": "2026-12-05T03:01:00Z", "reason": "unknown build id", "buildId": null,
               "eventType": null, "eventId": null, "replayedAt": "2026-12-05T03:02:00Z"}
            ]}""";
    private static final String TEAM = "platform";
    private static final String OTHER_TEAM = "elsewhere";
    /** Records every state each build card is shown in, as the page's DOM changes. */
    private static final String RECORD_STATES = """
            window.shownStates = {};
            new MutationObserver(() => {
              for (const card of document.querySelectorAll('#pipeline article.build')) {
                const shown = window.shownStates[card.dataset.buildId] ||= [];
                if (shown[shown.length - 1] !== card.dataset.state) shown.push(card.dataset.state);
              }
            }).observe(document.getElementById('pipeline'), { childList: true, subtree: true });
            """;

    private final HttpClient http = HttpClient.newHttpClient();
    private LocalPipeline pipeline;
    private WebDriver browser;

    @BeforeAll
    void start() throws Exception {
        assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "needs Debian's chromium and chromium-driver (./byoos test installs them)");
        pipeline = LocalPipeline.start(Map.of("BYOOS_SPEC_PIPELINE_STUCK_AFTER", STUCK_AFTER.toString(),
                "BYOOS_SPEC_PIPELINE_HEALTH_POLL_INTERVAL", "1s"));
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM.toFile())
                // --no-sandbox: the tests run as root in CI, where Chromium's sandbox refuses to start.
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu");
        // The driver is Debian's, so Selenium Manager never looks for one on the network.
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build(), options);
    }

    @AfterAll
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    @Order(1)
    void aViewerWatchesTheirTeamsBuildMoveThroughEveryStageAndNeverSeesAnotherTeamsBuild() throws Exception {
        browser.get(pipeline.specService() + "/pipeline/");
        WebElement tokenField = waitFor(PAGE_TIMEOUT).until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        tokenField.sendKeys(pipeline.bearer("page-viewer", "viewer", TEAM).substring("Bearer ".length()));
        browser.findElement(By.id("sign-in-button")).click();
        waitFor(PAGE_TIMEOUT).until(ExpectedConditions.attributeToBe(By.id("connection"), "data-status", "live"));

        // Another team's build runs to the end while the page watches. The stream carries changes in
        // commit order, so all of its changes come before the first of ours.
        String theirs = submit(OTHER_TEAM);
        assertEquals("PUBLISHED", awaitFinished(theirs).path("state").asText());

        ((JavascriptExecutor) browser).executeScript(RECORD_STATES);
        String ours = submit(TEAM);
        By ourCard = card(ours);
        waitFor(BUILD_TIMEOUT).until(ExpectedConditions.attributeToBe(ourCard, "data-state", "PUBLISHED"));

        @SuppressWarnings("unchecked")
        List<String> shown = (List<String>) ((JavascriptExecutor) browser)
                .executeScript("return window.shownStates[arguments[0]];", ours);
        assertTrue(shown.size() >= 2 && shown.get(shown.size() - 1).equals("PUBLISHED"),
                "the page showed the build in flight before it was published: " + shown);
        List<String> order = List.of("ACCEPTED", "QUEUED", "BUILDING", "BUILT", "STORED", "PUBLISHED");
        for (int i = 1; i < shown.size(); i++) {
            assertTrue(order.indexOf(shown.get(i - 1)) < order.indexOf(shown.get(i)), "states only move forward: " + shown);
        }
        assertTrue(browser.findElements(card(theirs)).isEmpty(), "the stream showed another team's build");

        // Drill-down: when the build entered each state.
        waitFor(PAGE_TIMEOUT).until(page -> {
            page.findElement(ourCard).click();
            return true;
        });
        waitFor(PAGE_TIMEOUT).until(ExpectedConditions.attributeToBe(By.id("detail"), "data-build-id", ours));
        // Read in one go: the panel is drawn again whenever the build changes.
        Object transitions = ((JavascriptExecutor) browser).executeScript(
                "return [...document.querySelectorAll('#detail-transitions tbody tr')].map(row => row.dataset.state);");
        assertEquals(order, transitions);

        // After a reload (the token stays in this tab), the snapshot is scoped like the stream.
        browser.navigate().refresh();
        waitFor(PAGE_TIMEOUT).until(ExpectedConditions.attributeToBe(card(ours), "data-state", "PUBLISHED"));
        assertTrue(browser.findElements(card(theirs)).isEmpty(), "the summary showed another team's build");
    }

    @Test
    @Order(2)
    void anSreSeesChartsWithDataADependencyDownAndRecoveredAStuckBuildAndWhetherDeadLettersAreListed()
            throws Exception {
        List<String> builds = List.of(submit(TEAM), submit(TEAM));
        for (String build : builds) {
            assertEquals("PUBLISHED", awaitFinished(build).path("state").asText());
        }
        openAs(pipeline.bearer("page-sre", "viewer", TEAM));

        // Charts over the window, with the builds just published in them.
        waitFor(PAGE_TIMEOUT).until(page -> number(page, "svg[data-chart='throughput']", "data-total") >= builds.size()
                && number(page, "#chart-latency g[data-stage='queued']", "data-samples") >= builds.size()
                && number(page, "#chart-latency g[data-stage='building']", "data-samples") >= builds.size());
        assertTrue(browser.findElements(By.cssSelector("svg[data-chart='throughput'] rect[data-key='PUBLISHED']")).size() >= 1,
                "the throughput chart draws the published builds");
        assertTrue(browser.findElements(By.cssSelector("svg[data-chart='backlog']")).size() == 1);
        String p95 = browser.findElement(By.cssSelector("#chart-latency g[data-stage='building']")).getAttribute("data-p95");
        assertTrue(!p95.isEmpty() && Long.parseLong(p95) > 0, "building took time: p95 " + p95);

        // Every dependency answers; then S3 goes down, is marked down, comes back and is shown recovered.
        for (String dependency : DEPENDENCIES) {
            waitFor(PAGE_TIMEOUT).until(ExpectedConditions.attributeToBe(dependency(dependency), "data-status", "UP"));
        }
        Path outage = pipeline.dataDir.resolve(S3_OUTAGE_FILE);
        Files.writeString(outage, "S3 is down until this file is deleted\n");
        try {
            waitFor(OUTAGE_TIMEOUT).until(ExpectedConditions.attributeToBe(dependency("s3"), "data-status", "DOWN"));
            assertTrue(browser.findElement(dependency("s3")).getText().contains("s3-"),
                    "says which check saw S3 down: " + browser.findElement(dependency("s3")).getText());
            assertEquals("UP", browser.findElement(dependency("kafka")).getAttribute("data-status"));
        } finally {
            Files.deleteIfExists(outage);
        }
        waitFor(OUTAGE_TIMEOUT).until(ExpectedConditions.attributeToBe(dependency("s3"), "data-status", "UP"));
        assertEquals("true", browser.findElement(dependency("s3")).getAttribute("data-recovered"));
        assertTrue(browser.findElement(dependency("s3")).getText().contains("recovered"));

        // A viewer may not list dead letters (403): not available, no error.
        waitFor(PAGE_TIMEOUT).until(ExpectedConditions.attributeToBe(By.id("dead-letters-section"), "data-state",
                "not-available"));
        assertTrue(browser.findElement(By.id("dead-letters-status")).getText().contains("not available"));
        // The rendering of the admin's listing, against a fixed answer of its shape; read in one go
        // (the next refresh draws the not-available state again).
        @SuppressWarnings("unchecked")
        List<Object> rendered = (List<Object>) ((JavascriptExecutor) browser).executeScript("""
                renderDeadLetters(JSON.parse(arguments[0]));
                const rows = [...document.querySelectorAll('#dead-letters tbody tr')];
                return [document.getElementById('dead-letters-section').dataset.state,
                        rows.map(row => row.dataset.deadLetterId + ' ' + row.dataset.replayed),
                        rows.map(row => row.textContent),
                        document.querySelectorAll('#dead-letters img').length];
                """, DEAD_LETTERS);
        assertEquals("listed", rendered.get(0));
        assertEquals(List.of("dl-1 false", "dl-2 true"), rendered.get(1));
        String first = ((List<?>) rendered.get(2)).get(0).toString();
        for (String shown : List.of("byoos.builds.completed", "artifact-service", "dev.byoos.build.completed",
                "7f2c0000-0000-0000-0000-000000000001", "<img src=x id=injected>not a CloudEvent")) {
            assertTrue(first.contains(shown), "the row shows " + shown + ": " + first);
        }
        assertEquals(0L, rendered.get(3), "a reason is shown as text, never as markup");
        // An admin's page shows what spec-service's dead-letter API answers (some or none).
        openAs(pipeline.bearer("page-admin", "admin"));
        waitFor(PAGE_TIMEOUT).until(page -> List.of("listed", "none")
                .contains(page.findElement(By.id("dead-letters-section")).getAttribute("data-state")));
        openAs(pipeline.bearer("page-sre", "viewer", TEAM));

        // The worker is gone: a build nobody takes is listed as stuck once silent for the threshold;
        // another team's is not.
        pipeline.kill("build-worker");
        String stuck = submit(TEAM);
        String theirs = submit(OTHER_TEAM);
        waitFor(PAGE_TIMEOUT).until(ExpectedConditions.attributeToBe(dependency("build-worker"), "data-status", "DOWN"));
        By stuckRow = By.cssSelector("#stuck tr[data-build-id='" + stuck + "']");
        waitFor(STUCK_AFTER.plus(PAGE_TIMEOUT)).until(ExpectedConditions.visibilityOfElementLocated(stuckRow));
        assertEquals("QUEUED", browser.findElement(stuckRow).getAttribute("data-state"));
        assertTrue(browser.findElement(stuckRow).getText().contains("build-worker"), browser.findElement(stuckRow).getText());
        assertTrue(browser.findElements(By.cssSelector("#stuck tr[data-build-id='" + theirs + "']")).isEmpty(),
                "another team's stuck build is not shown to this team's viewer");
    }

    /** Opens the page signed in with {@code bearer} (as the sign-in form leaves it: the token in this tab's sessionStorage). */
    private void openAs(String bearer) {
        browser.get(pipeline.specService() + "/pipeline/");
        ((JavascriptExecutor) browser).executeScript("sessionStorage.setItem('byoos.pipeline.token', arguments[0]);",
                bearer.substring("Bearer ".length()));
        browser.navigate().refresh();
        waitFor(PAGE_TIMEOUT).until(ExpectedConditions.attributeToBe(By.id("connection"), "data-status", "live"));
    }

    private static By dependency(String name) {
        return By.cssSelector("#dependencies li[data-dependency='" + name + "']");
    }

    /** A number attribute of the first element matching {@code css}; -1 while there is none. */
    private static long number(WebDriver page, String css, String attribute) {
        List<WebElement> found = page.findElements(By.cssSelector(css));
        String value = found.isEmpty() ? null : found.get(0).getAttribute(attribute);
        return value == null || value.isEmpty() ? -1 : Long.parseLong(value);
    }

    /** Waits on the DOM; the page draws its cards again on every change, so an element found may be gone a moment later. */
    private WebDriverWait waitFor(Duration timeout) {
        WebDriverWait wait = new WebDriverWait(browser, timeout);
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    private static By card(String buildId) {
        return By.cssSelector("article.build[data-build-id='" + buildId + "']");
    }

    /** Submits the fast example spec under a name and pack of its own, for {@code team}. */
    private String submit(String team) throws Exception {
        String unique = UUID.randomUUID().toString().substring(0, 8);
        String yaml = Files.readString(pipeline.root.resolve("examples/debian-12-qemu.yaml"))
                .replace("name: debian-12-node", "name: page-" + unique)
                .replace("team: platform", "team: " + team)
                .replace("name: byoos-debian-12", "name: byoos-page-" + unique);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(pipeline.specService() + "/api/v1/specs"))
                .header("Authorization", pipeline.bearer("page-submitter", "submitter", team))
                .header("Content-Type", "application/yaml")
                .POST(HttpRequest.BodyPublishers.ofString(yaml)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, response.statusCode(), response.body());
        return JSON.readTree(response.body()).path("builds").get(0).path("id").asText();
    }

    private JsonNode awaitFinished(String buildId) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(pipeline.specService() + "/api/v1/builds/" + buildId))
                .header("Authorization", pipeline.bearer("page-admin", "admin")).build();
        JsonNode[] build = new JsonNode[1];
        try {
            await("build " + buildId + " finishing").atMost(BUILD_TIMEOUT).pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        build[0] = JSON.readTree(http.send(request, HttpResponse.BodyHandlers.ofString()).body());
                        return List.of("PUBLISHED", "FAILED", "CANCELLED").contains(build[0].path("state").asText());
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("build " + buildId + " did not finish: " + build[0].toPrettyString(), e);
        }
        return build[0];
    }
}
