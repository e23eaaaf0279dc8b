package dev.byoos.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.byoos.spec.model.ImageSpec;
import dev.byoos.spec.validation.SpecParser;
import dev.byoos.spec.validation.SpecRejectedException;
import dev.byoos.spec.validation.SpecValidator;
import dev.byoos.spec.validation.Violation;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "validate", description = "Check an image spec offline with spec-service's own JSON Schema and rules "
        + "(hosts only against --allowed-hosts, as the installation's allow-list is not known offline); --online asks "
        + "the factory instead (its installation's allow-list and builders). Exit 0 valid, 3 rejected.")
class ValidateCommand extends CliCommand {

    /** The spec as the server shows it: absent fields are left out, not null. */
    private static final ObjectMapper WITHOUT_NULLS = Api.JSON.copy().setSerializationInclusion(JsonInclude.Include.NON_NULL);

    @Parameters(paramLabel = "FILE", description = "the ImageSpec (.yaml, .yml or .json)")
    Path file;

    @Option(names = "--online", description = "dry run on the factory (POST /api/v1/specs/validate): needs BYOOS_URL and a token")
    boolean online;

    @Option(names = "--allowed-hosts", split = ",", paramLabel = "HOST", description = "offline: the hosts mirrors, "
            + "tarball URLs and base image registries may name (spec-service's byoos.spec.allowed-hosts syntax; "
            + "apt-sources stands for this machine's apt source hosts). Unset: hosts are not checked offline")
    List<String> allowedHosts;

    @Override
    public Integer call() {
        Main main = main();
        Output output = main.output();
        SpecFiles document = SpecFiles.read(file);
        JsonNode validated;
        if (online) {
            validated = main.api().post(main.settings().requireSpecService(), "/api/v1/specs/validate",
                    document.contentType(), document.content()).body();
        } else {
            validated = offline(document);
        }
        if (output.json()) {
            output.print(validated);
        } else {
            JsonNode metadata = validated.path("spec").path("metadata");
            output.line(file + ": valid (" + metadata.path("team").asText() + "/" + metadata.path("name").asText() + ", "
                    + validated.path("spec").path("spec").path("targets").size() + " target(s))");
            // A spec without a base gets the factory's default mirror: say which, when it is known.
            JsonNode debootstrap = validated.path("spec").path("spec").path("os").path("base").path("debootstrap");
            String mirror = debootstrap.path("mirror").asText();
            if (mirror.startsWith(SpecValidator.OFFLINE_DEFAULT_MIRROR)) {
                output.line("  base: debootstrap from the server's default mirror (not known offline; "
                        + "validate --online shows it)");
            } else if (!mirror.isEmpty()) {
                output.line("  base: debootstrap " + debootstrap.path("suite").asText() + " from " + mirror);
            }
            JsonNode base = validated.path("spec").path("spec").path("os").path("base");
            boolean namesAHost = (!mirror.isEmpty() && !mirror.startsWith(SpecValidator.OFFLINE_DEFAULT_MIRROR))
                    || base.path("tarball").hasNonNull("url") || base.path("image").hasNonNull("reference");
            if (!online && allowedHosts == null && namesAHost) {
                output.line("  hosts: not checked (the factory's allow-list is not known offline; "
                        + "--allowed-hosts or validate --online checks them)");
            }
        }
        return ExitCodes.OK;
    }

    /** The server's parser and validator, run here: the same verdict, violation for violation. */
    private JsonNode offline(SpecFiles document) {
        try {
            ImageSpec accepted = SpecValidator.offline(Optional.ofNullable(allowedHosts)).validate(new SpecParser().parse(document.content(),
                    document.json() ? SpecParser.Format.JSON : SpecParser.Format.YAML));
            ObjectNode result = Api.JSON.createObjectNode();
            result.put("valid", true);
            result.set("spec", WITHOUT_NULLS.valueToTree(accepted));
            return result;
        } catch (SpecRejectedException rejected) {
            // The shape of the server's 400 (RFC 9457 with violations), so scripts read one format.
            ObjectNode problem = Api.JSON.createObjectNode();
            problem.put("title", "The image spec was rejected");
            problem.put("status", 400);
            problem.put("detail", rejected.violations().size() + " violation(s)");
            ArrayNode violations = problem.putArray("violations");
            for (Violation violation : rejected.violations()) {
                violations.addObject().put("pointer", violation.pointer()).put("code", violation.code())
                        .put("message", violation.message());
            }
            // A document that does not parse has no pointer: its violation is about the whole file.
            Violation first = rejected.violations().get(0);
            throw new CliException(ExitCodes.REJECTED, file + ": the image spec was rejected: "
                    + rejected.violations().size() + " violation(s), first: "
                    + (first.pointer().isEmpty() ? "" : first.pointer() + " ") + first.message(), problem, rejected);
        }
    }
}
