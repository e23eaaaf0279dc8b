package dev.byoos.cli;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "builds", description = "List, show and watch builds.",
        subcommands = { BuildsCommand.ListBuilds.class, BuildsCommand.GetBuild.class, BuildsCommand.WatchBuilds.class })
class BuildsCommand {

    /** A build id goes into a URL path: it must be the UUID it claims to be, nothing more. */
    static String checkId(String id) {
        try {
            return UUID.fromString(id).toString();
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "'" + id + "' is not a build id (build ids are UUIDs)", e);
        }
    }

    /** 0 when every build published its pack (or reused a published one), 1 otherwise. */
    static int exitCodeOf(List<JsonNode> builds) {
        return builds.stream().allMatch(build -> BuildFollower.SUCCEEDED.contains(build.path("state").asText()))
                ? ExitCodes.OK : ExitCodes.BUILD_FAILED;
    }

    static String query(String... namesAndValues) {
        StringJoiner query = new StringJoiner("&", "?", "").setEmptyValue("");
        for (int i = 0; i < namesAndValues.length; i += 2) {
            if (namesAndValues[i + 1] != null) {
                query.add(namesAndValues[i] + "=" + URLEncoder.encode(namesAndValues[i + 1], StandardCharsets.UTF_8));
            }
        }
        return query.toString();
    }

    @Command(name = "list", description = "Builds of your teams, newest first.")
    static class ListBuilds extends CliCommand {

        @Option(names = "--team", description = "only this team's")
        String team;

        @Option(names = "--state", description = "only builds in this state, e.g. FAILED")
        String state;

        @Option(names = "--since", description = "created at or after this ISO-8601 instant")
        String since;

        @Option(names = "--page", defaultValue = "0")
        int page;

        @Option(names = "--size", defaultValue = "20")
        int size;

        @Override
        public Integer call() {
            Main main = main();
            Output output = main.output();
            JsonNode page = main.api().get(main.settings().requireSpecService(), "/api/v1/builds" + query("team", team,
                    "state", state, "since", since, "page", String.valueOf(this.page), "size", String.valueOf(size)));
            if (output.json()) {
                output.print(page);
                return ExitCodes.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("BUILD", "STATE", "SPEC", "TARGET", "CREATED"));
            for (JsonNode build : page.path("items")) {
                rows.add(List.of(build.path("id").asText(), build.path("state").asText(),
                        build.path("team").asText() + "/" + build.path("spec").asText() + ":" + build.path("specVersion").asInt(),
                        build.path("target").path("cloud").asText() + "/" + build.path("target").path("format").asText(),
                        build.path("createdAt").asText()));
            }
            output.table(rows);
            output.note(page.path("items").size() + " of " + page.path("total").asLong() + " (page " + page.path("page").asInt()
                    + ")");
            return ExitCodes.OK;
        }
    }

    @Command(name = "get", description = "One build: state, artifact, pack, failure (--output json: with its timeline).")
    static class GetBuild extends BuildCommand {

        @Override
        public Integer call() {
            Output output = output();
            JsonNode build = fetchBuild();
            if (output.json()) {
                output.print(build);
            } else {
                BuildFollower.summarise(build, output);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "watch", description = "Follow builds live until each is final; exit 0 when all published, 1 otherwise "
            + "(--output json: one JSON line per change).")
    static class WatchBuilds extends CliCommand {

        @Parameters(paramLabel = "BUILD", arity = "1..*")
        List<String> ids;

        @Override
        public Integer call() {
            Main main = main();
            Output output = main.output();
            URI specService = main.settings().requireSpecService();
            ids.forEach(BuildsCommand::checkId);
            List<JsonNode> finished = new BuildFollower(main.api(), specService, output, output.json()).follow(ids);
            if (!output.json()) {
                finished.forEach(build -> {
                    output.line("");
                    BuildFollower.summarise(build, output);
                });
            }
            return exitCodeOf(finished);
        }
    }
}
