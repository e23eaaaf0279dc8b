package dev.byoos.cli;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Follows builds until each is final, printing every change of state or progress as it happens
 * ({@code submit --wait}, {@code builds watch}). It polls {@code GET /api/v1/builds/{id}}, which
 * holds everything the summary needs (artifact, pack, failure), and works through any proxy a CI
 * runner sits behind, where a long-lived event stream may be cut.
 */
class BuildFollower {

    static final Set<String> FINAL = Set.of("PUBLISHED", "REUSED", "FAILED", "CANCELLED");
    static final Set<String> SUCCEEDED = Set.of("PUBLISHED", "REUSED");
    private static final Duration POLL_INTERVAL = Duration.ofSeconds(1);

    private final Api api;
    private final URI specService;
    private final Output output;
    private final boolean jsonLines;

    /**
     * @param jsonLines each change as one JSON line on standard output ({@code builds watch --output json});
     *                  otherwise a text line on standard error, so standard output keeps only the result
     */
    BuildFollower(Api api, URI specService, Output output, boolean jsonLines) {
        this.api = api;
        this.specService = specService;
        this.output = output;
        this.jsonLines = jsonLines;
    }

    /** @return each build as its final {@code GET /api/v1/builds/{id}} showed it, in the order given */
    List<JsonNode> follow(List<String> buildIds) {
        long started = System.nanoTime();
        Map<String, JsonNode> latest = new LinkedHashMap<>();
        Map<String, String> shown = new LinkedHashMap<>();
        while (true) {
            for (String id : buildIds) {
                JsonNode known = latest.get(id);
                if (known != null && FINAL.contains(known.path("state").asText())) {
                    continue;
                }
                JsonNode build = api.get(specService, "/api/v1/builds/" + BuildsCommand.checkId(id));
                latest.put(id, build);
                String change = change(build);
                if (!Objects.equals(change, shown.get(id))) {
                    shown.put(id, change);
                    report(build, change, Duration.ofNanos(System.nanoTime() - started));
                }
            }
            if (latest.values().stream().allMatch(build -> FINAL.contains(build.path("state").asText()))) {
                return new ArrayList<>(latest.values());
            }
            try {
                Thread.sleep(POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(ExitCodes.UNAVAILABLE, "interrupted while following builds " + buildIds, e);
            }
        }
    }

    /** What a person watching wants to see change: the state and the current stage's progress. */
    private static String change(JsonNode build) {
        StringBuilder text = new StringBuilder(build.path("state").asText());
        JsonNode progress = build.path("progress");
        if (!progress.isMissingNode() && !FINAL.contains(build.path("state").asText())) {
            text.append("  ").append(progress.path("stage").asText()).append(' ').append(progress.path("phase").asText())
                    .append(' ').append(progress.path("percent").asInt()).append('%');
            if (progress.hasNonNull("waitingFor")) {
                text.append(" (waiting for ").append(progress.path("waitingFor").asText()).append(')');
            }
        }
        return text.toString();
    }

    private void report(JsonNode build, String change, Duration elapsed) {
        if (jsonLines) {
            output.printLine(build);
        } else {
            output.note(String.format("%7.1f s  %s  %s", elapsed.toMillis() / 1000.0, build.path("id").asText(), change));
        }
    }

    /** The lines a CI log needs about a finished build: where its image and pack are, or why it failed. */
    static void summarise(JsonNode build, Output output) {
        output.field("build", build.path("id").asText());
        output.field("state", build.path("state").asText());
        output.field("target", build.path("target").path("cloud").asText() + "/" + build.path("target").path("format").asText());
        if (build.hasNonNull("artifact")) {
            output.field("artifact", build.path("artifact").path("uri").asText());
            output.field("sha256", build.path("artifact").path("sha256").asText());
        }
        if (build.hasNonNull("bootTest")) {
            output.field("boot test", build.path("bootTest").path("result").asText()
                    + (build.path("bootTest").hasNonNull("detail") ? " (" + build.path("bootTest").path("detail").asText() + ")" : ""));
        }
        if (build.hasNonNull("pack")) {
            output.field("pack", build.path("pack").path("reference").asText());
        }
        if (build.hasNonNull("failure")) {
            JsonNode failure = build.path("failure");
            output.field("failure", failure.path("code").asText() + " in " + failure.path("stage").asText()
                    + (failure.hasNonNull("category") ? " (" + failure.path("category").asText() + ")" : "") + ": "
                    + failure.path("reason").asText());
        }
    }
}
