package dev.byoos.spec.validation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;

import dev.byoos.spec.rest.SchemaResource;

/** The published JSON Schema and the validator agree: what one accepts the other accepts. */
class SchemaAgreementTest {

    private final SpecParser parser = new SpecParser();
    private final SpecValidator validator = new SpecValidator(SpecValidatorTest.TEST_HOSTS, java.time.Clock.systemUTC());

    private static JsonSchema schema() throws IOException {
        try (InputStream in = SchemaAgreementTest.class.getResourceAsStream(SchemaResource.RESOURCE)) {
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        }
    }

    private JsonNode yaml(String document) {
        return parser.parse(document.getBytes(StandardCharsets.UTF_8), SpecParser.Format.YAML);
    }

    @Test
    void everyExampleSatisfiesTheSchema() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("..", "examples"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".json")).toList()) {
                var format = file.toString().endsWith(".json") ? SpecParser.Format.JSON : SpecParser.Format.YAML;
                var errors = schema().validate(parser.parse(Files.readAllBytes(file), format));
                assertTrue(errors.isEmpty(), file + ": " + errors);
            }
        }
    }

    static List<String> structurallyInvalid() {
        String valid = SpecValidatorTest.VALID;
        return List.of(
                valid + "extra: 1\n",
                valid.replace("displayName:", "displayname:"),
                valid.replace("  team: platform\n", ""),
                valid.replace("name: node", "name: Node_1"),
                valid.replace("name: debian", "name: windows"),
                valid.replace("version: \"12\"", "version: 12"),
                valid.replace("cloud: qemu", "cloud: mars"),
                valid.replace("  targets:\n    - cloud: qemu\n", "  targets: []\n"),
                valid.replace("/etc/motd", "etc/motd"),
                valid.replace("version: 1.0.0", "version: v1"),
                valid.replace("version: 1.0.0", "version: 1.0.0\n    versionPolicy: nightly"),
                valid.replace("version: 1.30.4", "version: 1.30.4\n    docker: 1.0.0"),
                InvalidSpecCorpus.FULL.replace("stage: post", "stage: during"),
                InvalidSpecCorpus.FULL.replace("net.ipv4.ip_forward", "ip_forward"),
                InvalidSpecCorpus.FULL.replace("    kernelModules:", "    services: [sshd]\n    kernelModules:"),
                InvalidSpecCorpus.FULL.replace("owner: root:root", "owner: root"),
                valid.replace("    - cloud: qemu\n", "    - cloud: qemu\n      builder: packer\n"));
    }

    @Test
    void aSpecUsingEveryCustomizationSatisfiesTheSchema() throws IOException {
        assertTrue(schema().validate(yaml(InvalidSpecCorpus.FULL)).isEmpty());
    }

    @ParameterizedTest
    @MethodSource("structurallyInvalid")
    void whatTheSchemaRejectsTheValidatorRejects(String document) throws IOException {
        assertFalse(schema().validate(yaml(document)).isEmpty(), "the schema accepted:\n" + document);
        assertThrows(SpecRejectedException.class, () -> validator.validate(yaml(document)));
    }
}
