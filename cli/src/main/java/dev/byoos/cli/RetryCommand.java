package dev.byoos.cli;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "retry", description = "Build a FAILED or CANCELLED build again as its next attempt; prints the new build id.")
class RetryCommand extends BuildCommand {

    @Option(names = "--wait", description = "follow the new attempt to the end (exit 1 unless it publishes)")
    boolean wait;

    @Override
    public Integer call() {
        Main main = main();
        Output output = main.output();
        JsonNode retry = postToBuild("retry");
        if (!wait) {
            if (output.json()) {
                output.print(retry);
            } else {
                output.field("build", retry.path("id").asText() + "  attempt " + retry.path("attempt").asInt() + "  "
                        + retry.path("state").asText());
            }
            return ExitCodes.OK;
        }
        JsonNode finished = new BuildFollower(main.api(), main.settings().requireSpecService(), output, false)
                .follow(List.of(retry.path("id").asText())).get(0);
        if (output.json()) {
            output.print(finished);
        } else {
            BuildFollower.summarise(finished, output);
        }
        return BuildsCommand.exitCodeOf(List.of(finished));
    }
}
