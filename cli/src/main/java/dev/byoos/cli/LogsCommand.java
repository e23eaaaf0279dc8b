package dev.byoos.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;

@Command(name = "logs", description = "Print a build's log (stored with its artifact). A build that failed before storing "
        + "one shows its failure instead, with exit 5.")
class LogsCommand extends BuildCommand {

    @Override
    public Integer call() {
        Main main = main();
        Output output = main.output();
        JsonNode build = fetchBuild();
        String sha256 = build.path("artifact").path("sha256").asText("");
        if (sha256.isEmpty()) {
            JsonNode failure = build.path("failure");
            throw new CliException(ExitCodes.NOT_FOUND, "build " + id + " has no stored log: it is "
                    + build.path("state").asText() + (failure.isMissingNode() ? " and has no artifact yet"
                            : ", " + failure.path("code").asText() + ": " + failure.path("reason").asText()));
        }
        // A REUSED build made nothing itself: the log is the published build's.
        String madeBy = build.path("reusedFrom").asText(build.path("id").asText());
        Api.Answer redirect = main.api().getAnswer(main.settings().requireArtifacts(),
                "/api/v1/artifacts/" + ArtifactsCommand.checkSha256(sha256) + "/log" + BuildsCommand.query("build", madeBy));
        URI presigned = URI.create(redirect.location().orElseThrow(() -> new CliException(ExitCodes.UNAVAILABLE,
                "artifact-service answered the log request without a Location")));
        String log;
        try (InputStream body = main.api().download(presigned)) {
            log = new String(body.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException(ExitCodes.UNAVAILABLE, "reading the log of build " + id + ": " + e.getMessage(), e);
        }
        if (output.json()) {
            ObjectNode result = Api.JSON.createObjectNode();
            result.put("build", build.path("id").asText());
            result.put("log", log);
            output.print(result);
        } else {
            output.line(log.endsWith("\n") ? log.substring(0, log.length() - 1) : log);
        }
        return ExitCodes.OK;
    }
}
