package dev.byoos.cli;

import java.nio.file.Path;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "artifacts", description = "Download artifacts, verified.", subcommands = ArtifactsCommand.GetArtifact.class)
class ArtifactsCommand {

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    static String checkSha256(String sha256) {
        if (!SHA256_HEX.matcher(sha256).matches()) {
            throw new CliException(ExitCodes.USAGE, "'" + sha256 + "' is not a sha256 (64 lowercase hex digits)");
        }
        return sha256;
    }

    @Command(name = "get", description = "Download an image through a presigned URL, check its sha256 and its signature, "
            + "and only then move it to FILE (exit 7, nothing written, when either fails).")
    static class GetArtifact extends CliCommand {

        @Parameters(paramLabel = "SHA256")
        String sha256;

        @Option(names = { "-o", "--output-file" }, paramLabel = "FILE", description = "where to put it (default: <sha256>.<format>)")
        Path file;

        @Option(names = "--public-key", paramLabel = "PEM", description = "verify with this public key (e.g. one your "
                + "organisation pinned, or a previous key after a rotation) instead of the factory's current one")
        Path publicKey;

        @Override
        public Integer call() {
            Main main = main();
            Output output = main.output();
            VerifiedDownload.Result result = new VerifiedDownload(main.api(), main.settings().requireArtifacts(), output)
                    .fetch(checkSha256(sha256), file, publicKey);
            if (output.json()) {
                ObjectNode json = Api.JSON.createObjectNode();
                json.put("sha256", result.sha256());
                json.put("size", result.size());
                json.put("file", result.file().toString());
                json.put("signatureKeyId", result.keyId());
                json.put("verified", true);
                output.print(json);
            } else {
                output.field("file", result.file().toString());
                output.field("sha256", result.sha256() + " (verified)");
                output.field("signature", "verified with key " + result.keyId());
                output.field("size", result.size() + " bytes");
            }
            return ExitCodes.OK;
        }
    }

    static JsonNode firstBuild(JsonNode artifact) {
        return artifact.path("builds").path(0);
    }
}
