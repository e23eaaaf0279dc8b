package dev.byoos.cli;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;

@Command(name = "cancel", description = "Cancel a build not yet BUILT (exit 6 when it is too late).")
class CancelCommand extends BuildCommand {

    @Override
    public Integer call() {
        Output output = output();
        JsonNode build = postToBuild("cancel");
        if (output.json()) {
            output.print(build);
        } else {
            output.field("build", build.path("id").asText());
            output.field("state", build.path("state").asText());
        }
        return ExitCodes.OK;
    }
}
