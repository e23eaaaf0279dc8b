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
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
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
 * another team's build.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PipelinePageSystemTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration PAGE_TIMEOUT = Duration.ofSeconds(30);
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
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
        pipeline = LocalPipeline.start();
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
