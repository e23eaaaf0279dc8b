package dev.byoos.cli;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Parameters;

/** A command about one build, named by its id. */
abstract class BuildCommand extends CliCommand {

    @Parameters(paramLabel = "BUILD", description = "the build's id (a UUID)")
    String id;

    /** {@code /api/v1/builds/<id>}, with the id checked to be a UUID: nothing else reaches the URL path. */
    String buildPath() {
        return "/api/v1/builds/" + BuildsCommand.checkId(id);
    }

    JsonNode fetchBuild() {
        return main().api().get(main().settings().requireSpecService(), buildPath());
    }

    JsonNode postToBuild(String action) {
        return main().api().post(main().settings().requireSpecService(), buildPath() + "/" + action, null, new byte[0]).body();
    }
}
