package dev.byoos.cli;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "submit", description = "Submit an image spec (YAML or JSON); prints its builds, and with --wait follows "
        + "them to the end: exit 0 when every one published its pack, 1 when one failed or was cancelled, 3 when the spec "
        + "is rejected.")
class SubmitCommand extends CliCommand {

    @Parameters(paramLabel = "FILE", description = "the ImageSpec (.yaml, .yml or .json)")
    Path file;

    @Option(names = "--wait", description = "follow every build to PUBLISHED, FAILED or CANCELLED")
    boolean wait;

    @Option(names = "--force", description = "build every target again even if an identical spec is already published")
    boolean force;

    @Option(names = "--idempotency-key", paramLabel = "KEY",
            description = "a retried submission with the same key gets the first one's outcome (e.g. the CI job's id)")
    String idempotencyKey;

    @Override
    public Integer call() {
        Main main = main();
        Output output = main.output();
        SpecFiles document = SpecFiles.read(file);
        URI specService = main.settings().requireSpecService();
        List<String> headers = new ArrayList<>();
        if (idempotencyKey != null) {
            headers.add("Idempotency-Key");
            headers.add(idempotencyKey);
        }
        JsonNode submission = main.api().post(specService, "/api/v1/specs" + (force ? "?force=true" : ""),
                document.contentType(), document.content(), headers.toArray(String[]::new)).body();
        List<String> buildIds = new ArrayList<>();
        submission.path("builds").forEach(build -> buildIds.add(build.path("id").asText()));
        if (!output.json()) {
            output.field("spec", submission.path("team").asText() + "/" + submission.path("name").asText() + " version "
                    + submission.path("version").asInt() + (submission.path("newVersion").asBoolean() ? " (new)"
                            : " (unchanged: an identical spec was submitted before)"));
            for (JsonNode build : submission.path("builds")) {
                output.field("build", build.path("id").asText() + "  " + build.path("target").path("cloud").asText() + "/"
                        + build.path("target").path("format").asText() + "  " + build.path("state").asText());
            }
        }
        if (!wait) {
            if (output.json()) {
                output.print(submission);
            }
            return ExitCodes.OK;
        }
        List<JsonNode> finished = new BuildFollower(main.api(), specService, output, false).follow(buildIds);
        if (output.json()) {
            ObjectNode result = Api.JSON.createObjectNode();
            result.set("submission", submission);
            ArrayNode builds = result.putArray("builds");
            finished.forEach(builds::add);
            output.print(result);
        } else {
            finished.forEach(build -> {
                output.line("");
                BuildFollower.summarise(build, output);
            });
        }
        return BuildsCommand.exitCodeOf(finished);
    }
}
