package dev.byoos.spec.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.byoos.spec.model.ImageSpec;

class SpecValidatorTest {

    private final SpecParser parser = new SpecParser();
    private final SpecValidator validator = new SpecValidator();

    static final String VALID = """
            apiVersion: byoos.dev/v1alpha1
            kind: ImageSpec
            metadata:
              name: node
              team: platform
            spec:
              os:
                name: debian
                version: "12"
                base:
                  local: debian-12-skeleton
              kubernetes:
                version: 1.30.4
              targets:
                - cloud: qemu
              customizations:
                files:
                  - path: /etc/motd
                    content: hello
              pack:
                name: byoos-debian
                version: 1.0.0
                displayName: Debian (BYOOS)
            """;

    private ImageSpec validate(String yaml) {
        return validator.validate(parser.parse(yaml.getBytes(StandardCharsets.UTF_8), SpecParser.Format.YAML));
    }

    private List<Violation> violations(String yaml) {
        return assertThrows(SpecRejectedException.class, () -> validate(yaml)).violations();
    }

    @Test
    void acceptsAValidSpecAndAppliesDefaults() {
        ImageSpec spec = validate(VALID);
        assertEquals("qcow2", spec.spec().targets().get(0).format(), "qemu defaults to qcow2");
        assertEquals("0644", spec.spec().customizations().files().get(0).mode(), "files default to 0644");
    }

    @Test
    void defaultsKubernetesComponentsFromTheSupportMatrixAndKeepsAnOverride() {
        ImageSpec spec = validate(VALID.replace("version: 1.30.4", "version: 1.30.4\n    crictl: 1.26.0"));
        assertEquals(new ImageSpec.Kubernetes("1.30.4", "1.7.13", "1.3.0", "1.26.0"), spec.spec().kubernetes());
    }

    @Test
    void acceptsEveryExampleSpec() throws IOException {
        Path examples = Path.of("..", "examples");
        try (Stream<Path> files = Files.list(examples)) {
            List<Path> specs = files.filter(file -> file.toString().endsWith(".yaml") || file.toString().endsWith(".json"))
                    .toList();
            assertTrue(specs.size() >= 2, "examples/ holds the example specs");
            for (Path file : specs) {
                var format = file.toString().endsWith(".json") ? SpecParser.Format.JSON : SpecParser.Format.YAML;
                validator.validate(parser.parse(Files.readAllBytes(file), format));
            }
        }
    }

    static Stream<Arguments> invalidSpecs() {
        return Stream.of(
                Arguments.of("unknown top-level field", VALID + "extra: 1\n", "/extra", Violation.UNKNOWN_FIELD),
                Arguments.of("typo in a nested field", VALID.replace("displayName:", "displayname:"),
                        "/spec/pack/displayname", Violation.UNKNOWN_FIELD),
                Arguments.of("wrong apiVersion", VALID.replace("byoos.dev/v1alpha1", "byoos.dev/v2"),
                        "/apiVersion", Violation.NOT_ALLOWED),
                Arguments.of("missing team", VALID.replace("  team: platform\n", ""), "/metadata/team",
                        Violation.REQUIRED),
                Arguments.of("name not a DNS label", VALID.replace("name: node", "name: Node_1"), "/metadata/name",
                        Violation.INVALID_FORMAT),
                Arguments.of("unsupported os", VALID.replace("name: debian", "name: windows"), "/spec/os/name",
                        Violation.NOT_ALLOWED),
                Arguments.of("unquoted numeric os version", VALID.replace("version: \"12\"", "version: 12"),
                        "/spec/os/version", Violation.WRONG_TYPE),
                Arguments.of("bad kubernetes version", VALID.replace("1.30.4", "latest"), "/spec/kubernetes/version",
                        Violation.INVALID_FORMAT),
                Arguments.of("unknown cloud", VALID.replace("cloud: qemu", "cloud: mars"), "/spec/targets/0/cloud",
                        Violation.NOT_ALLOWED),
                Arguments.of("cloud with no builder yet", VALID.replace("cloud: qemu", "cloud: aws"), "/spec/targets/0",
                        Violation.TARGET_NOT_BUILDABLE),
                Arguments.of("format the cloud cannot take", VALID.replace("- cloud: qemu", "- cloud: qemu\n      format: vhd"),
                        "/spec/targets/0", Violation.TARGET_NOT_BUILDABLE),
                Arguments.of("duplicate target cloud", VALID.replace("- cloud: qemu", "- cloud: qemu\n    - cloud: qemu"),
                        "/spec/targets/1/cloud", Violation.DUPLICATE),
                Arguments.of("no targets", VALID.replace("  targets:\n    - cloud: qemu\n", "  targets: []\n"),
                        "/spec/targets", Violation.REQUIRED),
                Arguments.of("relative file path", VALID.replace("/etc/motd", "etc/motd"),
                        "/spec/customizations/files/0/path", Violation.UNSAFE_PATH),
                Arguments.of("path traversal", VALID.replace("/etc/motd", "/etc/../../root/.ssh/authorized_keys"),
                        "/spec/customizations/files/0/path", Violation.UNSAFE_PATH),
                Arguments.of("file under /proc", VALID.replace("/etc/motd", "/proc/sys/kernel/hostname"),
                        "/spec/customizations/files/0/path", Violation.UNSAFE_PATH),
                Arguments.of("bad file mode", VALID.replace("content: hello", "content: hello\n        mode: \"rwx\""),
                        "/spec/customizations/files/0/mode", Violation.INVALID_FORMAT),
                Arguments.of("pack version not semver", VALID.replace("version: 1.0.0", "version: v1"),
                        "/spec/pack/version", Violation.INVALID_FORMAT),
                Arguments.of("kubernetes release outside the support matrix", VALID.replace("1.30.4", "1.26.0"),
                        "/spec/kubernetes/version", Violation.UNSUPPORTED_VERSION),
                Arguments.of("component version outside the support matrix",
                        VALID.replace("version: 1.30.4", "version: 1.30.4\n    containerd: 1.6.0"),
                        "/spec/kubernetes/containerd", Violation.UNSUPPORTED_VERSION),
                Arguments.of("unknown kubernetes component", VALID.replace("version: 1.30.4", "version: 1.30.4\n    docker: 1.0.0"),
                        "/spec/kubernetes/docker", Violation.UNKNOWN_FIELD),
                Arguments.of("base name is a host path", VALID.replace("local: debian-12-skeleton", "local: /etc"),
                        "/spec/os/base/local", Violation.INVALID_FORMAT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSpecs")
    void rejectsWithPointerAndCode(String description, String yaml, String pointer, String code) {
        List<Violation> violations = violations(yaml);
        assertTrue(violations.stream().anyMatch(v -> v.pointer().equals(pointer) && v.code().equals(code)),
                () -> "expected " + code + " at " + pointer + " but got " + violations);
    }

    @Test
    void reportsEveryViolationAtOnce() {
        String yaml = VALID.replace("name: node", "name: NODE").replace("1.30.4", "x").replace("cloud: qemu", "cloud: mars");
        List<Violation> violations = violations(yaml);
        assertEquals(List.of("/metadata/name", "/spec/kubernetes/version", "/spec/targets/0/cloud"),
                violations.stream().map(Violation::pointer).toList());
    }

    @Test
    void rejectsYamlAliasesBecauseTheyWouldBeMisread() {
        List<Violation> violations = violations(VALID.replace("  team: platform", "  team: &t platform\n  description: *t"));
        assertEquals(Violation.MALFORMED_DOCUMENT, violations.get(0).code());
        assertTrue(violations.get(0).message().contains("anchors and aliases"), violations.get(0).message());
    }

    @Test
    void rejectsAliasBombs() {
        StringBuilder yaml = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (char c = 'b'; c <= 'z'; c++) {
            char previous = (char) (c - 1);
            yaml.append(c).append(": &").append(c).append(" [*").append(previous).append(", *").append(previous)
                    .append(", *").append(previous).append("]\n");
        }
        List<Violation> violations = violations(yaml.toString());
        assertEquals(Violation.MALFORMED_DOCUMENT, violations.get(0).code());
    }

    @Test
    void rejectsDuplicateKeys() {
        List<Violation> violations = violations(VALID.replace("kind: ImageSpec", "kind: ImageSpec\nkind: ImageSpec"));
        assertEquals(Violation.MALFORMED_DOCUMENT, violations.get(0).code());
    }

    @Test
    void rejectsAnEmptyDocument() {
        assertEquals(Violation.MALFORMED_DOCUMENT, violations("").get(0).code());
    }
}
