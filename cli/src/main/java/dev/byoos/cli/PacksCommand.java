package dev.byoos.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "packs", description = "The pack catalog.", subcommands = { PacksCommand.ListPacks.class,
        PacksCommand.ShowPack.class })
class PacksCommand {

    private static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Command(name = "list", description = "Published packs of your teams.")
    static class ListPacks extends CliCommand {

        @Option(names = "--team", description = "only this team's")
        String team;

        @Option(names = "--page", defaultValue = "0")
        int page;

        @Option(names = "--size", defaultValue = "50")
        int size;

        @Override
        public Integer call() {
            Main main = main();
            Output output = main.output();
            JsonNode page = main.api().get(main.settings().requirePacks(), "/api/v1/packs"
                    + BuildsCommand.query("team", team, "page", String.valueOf(this.page), "size", String.valueOf(size)));
            if (output.json()) {
                output.print(page);
                return ExitCodes.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("PACK", "TEAM", "DISPLAY NAME"));
            for (JsonNode pack : page.path("items")) {
                rows.add(List.of(pack.path("name").asText(), pack.path("team").asText(), pack.path("displayName").asText()));
            }
            output.table(rows);
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", description = "A pack's versions, or one version with its lineage (artifact, build, spec).")
    static class ShowPack extends CliCommand {

        @Parameters(index = "0", paramLabel = "PACK")
        String name;

        @Parameters(index = "1", paramLabel = "VERSION", arity = "0..1")
        String version;

        @Override
        public Integer call() {
            Main main = main();
            Output output = main.output();
            String path = "/api/v1/packs/" + segment(name) + "/versions" + (version == null ? "" : "/" + segment(version));
            JsonNode answer = main.api().get(main.settings().requirePacks(), path);
            if (output.json()) {
                output.print(answer);
            } else if (version == null) {
                List<List<String>> rows = new ArrayList<>();
                rows.add(List.of("VERSION", "STATE", "REFERENCE"));
                for (JsonNode each : answer) {
                    rows.add(List.of(each.path("version").asText(), each.path("state").asText(), each.path("reference").asText()));
                }
                output.table(rows);
            } else {
                output.field("pack", answer.path("pack").path("reference").asText());
                output.field("kind", answer.path("pack").path("kind").asText() + " (" + answer.path("pack").path("cloudType").asText() + ")");
                output.field("state", answer.path("lifecycle").path("state").asText());
                output.field("sha256", answer.path("artifact").path("sha256").asText());
                output.field("build", answer.path("build").path("id").asText());
                output.field("spec", answer.path("spec").path("team").asText() + "/" + answer.path("spec").path("name").asText()
                        + " version " + answer.path("spec").path("version").asInt());
            }
            return ExitCodes.OK;
        }
    }
}
