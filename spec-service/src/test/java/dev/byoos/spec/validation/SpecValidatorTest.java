package dev.byoos.spec.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.byoos.contract.AptSources;
import dev.byoos.contract.BuildRequested;
import dev.byoos.spec.model.ImageSpec;

class SpecValidatorTest {

    private final SpecParser parser = new SpecParser();
    /** The allow-list of these tests: names under the reserved .example domain. */
    static final HostPolicy TEST_HOSTS = new HostPolicy(List.of(".mirror.example"));

    private final SpecValidator validator = new SpecValidator(TEST_HOSTS, java.time.Clock.systemUTC());

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

    /** A default Debian mirror as the devstack sets it from its machine's apt sources; never contacted here. */
    static final String DEFAULT_DEBIAN_MIRROR = "http://debian-mirror.invalid/debian";

    /** A validator of an installation with default mirrors, as the devstack runs it. */
    static SpecValidator withDefaultMirrors() {
        return new SpecValidator(TEST_HOSTS, java.time.Clock.systemUTC(), false,
                new DefaultBases(java.util.Map.of("debian", DEFAULT_DEBIAN_MIRROR,
                        "ubuntu", "https://ubuntu-mirror.invalid/ubuntu")));
    }

    /** The least a Debian spec says: no base, no display name (examples/debian-12-tiny.yaml). */
    static final Path TEN_LINES = Path.of("..", "examples", "debian-12-tiny.yaml");

    private static String tenLines() {
        try {
            return Files.readString(TEN_LINES);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

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
    void aTenLineDebianSpecGetsDebootstrapFromTheDefaultMirrorAndItsPackNameAsDisplayName() {
        ImageSpec spec = withDefaultMirrors().validate(parser.parse(tenLines().getBytes(StandardCharsets.UTF_8),
                SpecParser.Format.YAML));
        assertEquals(new ImageSpec.Base(null, new BuildRequested.Debootstrap("bookworm", DEFAULT_DEBIAN_MIRROR), null,
                null), spec.spec().os().base());
        assertEquals("byoos-debian-12-tiny", spec.spec().pack().displayName());
        // The stored form carries both, so a later change of the default mirror changes no stored spec.
        String stored = dev.byoos.spec.service.CanonicalSpecs.canonicalJson(spec);
        assertTrue(stored.contains("\"debootstrap\":{\"mirror\":\"" + DEFAULT_DEBIAN_MIRROR + "\",\"suite\":\"bookworm\"}"),
                stored);
        assertTrue(stored.contains("\"displayName\":\"byoos-debian-12-tiny\""), stored);
        // Each release its own suite, each distribution its own mirror.
        ImageSpec noble = withDefaultMirrors().validate(parser.parse(tenLines().replace("name: debian, version: \"12\"",
                "name: ubuntu, version: \"24.04\"").getBytes(StandardCharsets.UTF_8), SpecParser.Format.YAML));
        assertEquals(new BuildRequested.Debootstrap("noble", "https://ubuntu-mirror.invalid/ubuntu"),
                noble.spec().os().base().debootstrap());
    }

    @Test
    void aSpecWithoutABaseIsRefusedAtTheBaseWhereNoDefaultFits() {
        // No default mirror configured (the default validator): the violation names the setting.
        List<Violation> unconfigured = violations(tenLines());
        assertEquals(1, unconfigured.size(), unconfigured::toString);
        assertEquals("/spec/os/base", unconfigured.get(0).pointer());
        assertEquals(Violation.REQUIRED, unconfigured.get(0).code());
        assertTrue(unconfigured.get(0).message().contains("byoos.spec.default-mirrors.debian"), unconfigured::toString);
        // Other distributions, and releases debootstrap is not set up for, still name their base.
        for (String os : List.of("name: rockylinux, version: \"9\"", "name: debian, version: \"10\"")) {
            List<Violation> refused = assertThrows(SpecRejectedException.class, () -> withDefaultMirrors().validate(
                    parser.parse(tenLines().replace("name: debian, version: \"12\"", os).getBytes(StandardCharsets.UTF_8),
                            SpecParser.Format.YAML))).violations();
            assertEquals(List.of("/spec/os/base"), refused.stream().map(Violation::pointer).toList(), os);
            assertEquals(Violation.REQUIRED, refused.get(0).code());
        }
    }

    @Test
    void aDefaultMirrorMustBeAnHttpUrlWithoutCredentials() {
        for (String mirror : List.of("ftp://mirror.invalid/debian", "https://u:p@mirror.invalid/debian", "mirror")) {
            assertThrows(IllegalArgumentException.class, () -> new DefaultBases(java.util.Map.of("debian", mirror)),
                    mirror);
        }
        assertThrows(IllegalArgumentException.class,
                () -> new DefaultBases(java.util.Map.of("rockylinux", "https://mirror.invalid/rocky")));
    }

    @Test
    void defaultsKubernetesComponentsFromTheSupportMatrixAndKeepsAnOverride() {
        ImageSpec spec = validate(VALID.replace("version: 1.30.4", "version: 1.30.4\n    crictl: 1.26.0"));
        assertEquals(new BuildRequested.Kubernetes("1.30.4", "1.7.13", "1.3.0", "1.26.0"), spec.spec().kubernetes());
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
                withDefaultMirrors().validate(parser.parse(Files.readAllBytes(file), format));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.byoos.spec.validation.InvalidSpecCorpus#cases")
    void rejectsWithPointerAndCode(String description, String yaml, String pointer, String code) {
        List<Violation> violations = violations(yaml);
        assertTrue(violations.stream().anyMatch(v -> v.pointer().equals(pointer) && v.code().equals(code)),
                () -> "expected " + code + " at " + pointer + " but got " + violations);
    }

    @Test
    void theCorpusIsLargeAndHitsEveryRuleCodeOfTheValidator() throws IllegalAccessException {
        List<Arguments> cases = InvalidSpecCorpus.cases().toList();
        assertTrue(cases.size() >= 60, "at least 60 invalid specs, got " + cases.size());
        java.util.Set<Object> hit = new java.util.HashSet<>();
        cases.forEach(c -> hit.add(c.get()[3]));
        for (java.lang.reflect.Field field : Violation.class.getFields()) {
            Object code = field.get(null);
            // These codes belong to other layers: the parser, the REST media types, the store (pack
            // history, pack names) and the intake events' credentials.
            if (!List.of(Violation.MALFORMED_DOCUMENT, Violation.UNSUPPORTED_MEDIA_TYPE, Violation.PACK_CONFLICT,
                    Violation.PACK_NAME_TAKEN, Violation.UNAUTHENTICATED, Violation.FORBIDDEN).contains(code)) {
                assertTrue(hit.contains(code), "no corpus case for " + code);
            }
        }
    }

    @Test
    void acceptsASpecUsingEveryCustomization() {
        ImageSpec spec = validate(InvalidSpecCorpus.FULL);
        ImageSpec.Customizations customizations = spec.spec().customizations();
        assertEquals(List.of("curl", "jq=1.6-2.1"), customizations.packages());
        assertEquals("ops", customizations.users().get(0).name());
        assertEquals(java.util.Map.of("net.ipv4.ip_forward", "1"), customizations.sysctl());
        assertEquals(120, customizations.scripts().get(0).timeoutSeconds());
        assertEquals("native", spec.spec().targets().get(0).builder());
        assertEquals("standard", spec.spec().imageType());
    }

    @Test
    void rejectsACaCertificateThatHasExpired() {
        SpecValidator later = new SpecValidator(TEST_HOSTS,
                java.time.Clock.fixed(java.time.Instant.parse("2040-01-01T00:00:00Z"), java.time.ZoneOffset.UTC));
        var rejection = assertThrows(SpecRejectedException.class, () -> later.validate(
                parser.parse(InvalidSpecCorpus.FULL.getBytes(StandardCharsets.UTF_8), SpecParser.Format.YAML)));
        assertEquals("/spec/customizations/caCertificates/0/pem", rejection.violations().get(0).pointer());
        assertTrue(rejection.violations().get(0).message().startsWith("expired on"), rejection.violations().toString());
    }

    @Test
    void anInstallationRunningImageBuilderAcceptsCloudTargetsBuiltInTheirClouds() {
        SpecValidator withImageBuilder = new SpecValidator(TEST_HOSTS,
                java.time.Clock.systemUTC(), true);
        String ubuntu = VALID.replace("name: debian", "name: ubuntu").replace("version: \"12\"", "version: \"22.04\"")
                .replace("    - cloud: qemu\n", "    - cloud: aws\n      aws:\n        regions: [eu-west-1, us-east-1]\n"
                        + "    - cloud: azure\n      azure:\n        storageLocation: westeurope\n"
                        + "    - cloud: vsphere\n      vsphere:\n        folder: /dc1/vm/templates\n");
        List<ImageSpec.Target> targets = withImageBuilder.validate(parser.parse(ubuntu.getBytes(StandardCharsets.UTF_8),
                SpecParser.Format.YAML)).spec().targets();
        assertEquals(List.of("image-builder"), targets.stream().map(ImageSpec.Target::builder).distinct().toList());
        assertEquals(List.of("ami", "vhd", "ova"), targets.stream().map(ImageSpec.Target::format).toList());
        assertEquals(List.of("eu-west-1", "us-east-1"), targets.get(0).aws().regions());
        // The same spec where no worker runs image-builder: refused up front.
        assertEquals(Violation.TARGET_NOT_BUILDABLE, violations(ubuntu).get(0).code());
    }

    @Test
    void imageBuilderTargetsNeedADistributionImageBuilderBuilds() {
        SpecValidator withImageBuilder = new SpecValidator(TEST_HOSTS,
                java.time.Clock.systemUTC(), true);
        String debian = VALID.replace("    - cloud: qemu\n", "    - cloud: aws\n      aws:\n        regions: [eu-west-1]\n");
        List<Violation> refused = assertThrows(SpecRejectedException.class, () -> withImageBuilder.validate(
                parser.parse(debian.getBytes(StandardCharsets.UTF_8), SpecParser.Format.YAML))).violations();
        assertEquals(1, refused.size(), refused.toString());
        assertEquals("/spec/targets/0/builder", refused.get(0).pointer());
        assertEquals(Violation.NOT_ALLOWED, refused.get(0).code());
    }

    @Test
    void theNativeBuilderTakesEveryPaletteCloudButAwsWhoseAmisExistOnlyInsideAws() {
        ImageSpec spec = validate(VALID.replace("    - cloud: qemu\n", """
                    - cloud: azure
                      builder: native
                      azure:
                        storageLocation: westeurope
                    - cloud: vsphere
                      builder: native
                      vsphere:
                        folder: /dc1/vm/byoos
                    - cloud: gcp
                    - cloud: maas
                    - cloud: edge
                """.indent(2)));
        assertEquals(List.of("vhd", "ova", "gcp-tar", "tgz", "oci"),
                spec.spec().targets().stream().map(ImageSpec.Target::format).toList());
        assertEquals(List.of("native"), spec.spec().targets().stream().map(ImageSpec.Target::builder).distinct().toList());
        // vSphere and Azure default to image-builder; where no worker runs it the refusal says how to build natively.
        Violation vsphere = violations(VALID.replace("    - cloud: qemu\n", "    - cloud: vsphere\n")).get(0);
        assertEquals(Violation.TARGET_NOT_BUILDABLE, vsphere.code());
        assertTrue(vsphere.message().endsWith("set builder: native to build it here"), vsphere.message());
        Violation aws = violations(VALID.replace("    - cloud: qemu\n",
                "    - cloud: aws\n      builder: native\n      aws:\n        regions: [eu-west-1]\n")).get(0);
        assertEquals("/spec/targets/0/builder", aws.pointer());
        assertEquals(Violation.NOT_ALLOWED, aws.code());
    }

    @Test
    void aPackVersionWithBuildMetadataIsRefusedSayingWhyBecauseTheTagMustEqualPackJsonsVersion() {
        Violation refused = violations(VALID.replace("version: 1.0.0", "version: 1.0.0+build.7")).get(0);
        assertEquals("/spec/pack/version", refused.pointer());
        assertEquals(Violation.INVALID_FORMAT, refused.code());
        assertTrue(refused.message().contains("an OCI tag cannot hold '+'"), refused.message());
        // Any vCenter name is a template name; r_u- is only the default.
        ImageSpec named = validate(VALID.replace("    - cloud: qemu\n",
                "    - cloud: vsphere\n      builder: native\n      vsphere:\n        templateName: rhel-8-kube-v1.30.4\n"));
        assertEquals("rhel-8-kube-v1.30.4", named.spec().targets().get(0).vsphere().templateName());
    }

    @Test
    void aPackVersionPolicyIsPatchOrMinorOrAbsent() {
        assertEquals(null, validate(VALID).spec().pack().versionPolicy());
        // Absent, it is not stored: the digests of specs stored before the field stay what they were.
        assertFalse(dev.byoos.spec.service.CanonicalSpecs.canonicalJson(validate(VALID)).contains("versionPolicy"));
        assertEquals("minor", validate(VALID.replace("version: 1.0.0", "version: 1.0.0\n    versionPolicy: minor"))
                .spec().pack().versionPolicy());
        Violation refused = violations(VALID.replace("version: 1.0.0", "version: 1.0.0\n    versionPolicy: major")).get(0);
        assertEquals("/spec/pack/versionPolicy", refused.pointer());
    }

    @Test
    void watchedInputsAreOptInAndARebuildNeedsAPolicyAndABaseWatchADebootstrapBase() {
        String debootstrap = VALID.replace("      local: debian-12-skeleton\n",
                "      debootstrap:\n        suite: bookworm\n        mirror: https://deb.mirror.example/debian\n");
        String policy = "version: 1.0.0\n    versionPolicy: patch";
        assertEquals(null, validate(VALID).spec().updates());
        // Absent, it is not stored: the digests of specs stored before the field stay what they were.
        assertFalse(dev.byoos.spec.service.CanonicalSpecs.canonicalJson(validate(VALID)).contains("updates"));
        assertEquals(new ImageSpec.Updates("rebuild", "none"), validate(debootstrap.replace("version: 1.0.0", policy)
                + "  updates:\n    base: rebuild\n").spec().updates());
        assertEquals(new ImageSpec.Updates("none", "notify"),
                validate(VALID + "  updates:\n    kubernetesPatches: notify\n").spec().updates());

        List<Violation> unpolicied = violations(debootstrap + "  updates:\n    base: rebuild\n    kubernetesPatches: rebuild\n");
        assertEquals(List.of("/spec/updates/base", "/spec/updates/kubernetesPatches"),
                unpolicied.stream().map(Violation::pointer).toList());
        assertTrue(unpolicied.stream().allMatch(v -> v.code().equals(Violation.NOT_ALLOWED)
                && v.message().contains("versionPolicy")), unpolicied.toString());
        Violation local = violations(VALID + "  updates:\n    base: notify\n").get(0);
        assertEquals("/spec/updates/base", local.pointer());
        assertTrue(local.message().contains("debootstrap"), local.message());
        assertEquals("/spec/updates/base", violations(VALID + "  updates:\n    base: always\n").get(0).pointer());
    }

    @Test
    void acceptsPaletteEdgeTargetsAsNativeOciImagesBesideAQemuDisk() {
        ImageSpec spec = validate(VALID.replace("    - cloud: qemu\n", "    - cloud: qemu\n    - cloud: edge\n"));
        ImageSpec.Target edge = spec.spec().targets().get(1);
        assertEquals(new ImageSpec.Target("edge", "oci", "native", null, null, null), edge);
        // From a debootstrap base too, with the format named.
        ImageSpec debootstrap = validate(VALID.replace("      local: debian-12-skeleton\n",
                "      debootstrap:\n        suite: bookworm\n        mirror: https://deb.mirror.example/debian\n")
                .replace("    - cloud: qemu\n", "    - cloud: edge\n      format: oci\n"));
        assertEquals("oci", debootstrap.spec().targets().get(0).format());
        // Edge takes nothing but oci, and image-builder does not make OCI images.
        assertEquals(Violation.NOT_ALLOWED, violations(VALID.replace("    - cloud: qemu\n",
                "    - cloud: edge\n      format: raw\n")).get(0).code());
        assertEquals(Violation.NOT_ALLOWED, violations(VALID.replace("    - cloud: qemu\n",
                "    - cloud: edge\n      builder: image-builder\n")).get(0).code());
    }

    @Test
    void anOperatorCanAllowAnInternalMirror() {
        SpecValidator internal = new SpecValidator(new HostPolicy(List.of(".mirror.corp", "10.0.0.5")), java.time.Clock.systemUTC());
        String debootstrap = VALID.replace("      local: debian-12-skeleton\n",
                "      debootstrap:\n        suite: bookworm\n        mirror: http://deb.mirror.corp/debian\n");
        ImageSpec.Base base = internal.validate(parser.parse(debootstrap.getBytes(StandardCharsets.UTF_8),
                SpecParser.Format.YAML)).spec().os().base();
        assertEquals(new BuildRequested.Debootstrap("bookworm", "http://deb.mirror.corp/debian"), base.debootstrap());
        // The tests' list does not know that mirror.
        assertEquals(Violation.HOST_NOT_ALLOWED, violations(debootstrap).get(0).code());
        assertTrue(new HostPolicy(List.of(".mirror.corp")).allows("a.mirror.corp"));
        assertTrue(!new HostPolicy(List.of(".mirror.corp")).allows("mirror.corp.evil.com"));
    }

    @Test
    void theDefaultAllowListIsTheMachinesAptSourcesAndNamesNoHostOfItsOwn(@TempDir Path apt) throws IOException {
        String mirror = VALID.replace("      local: debian-12-skeleton\n",
                "      debootstrap:\n        suite: bookworm\n        mirror: http://deb.apt-source.example/debian\n");
        String registry = VALID.replace("      local: debian-12-skeleton\n",
                "      image:\n        reference: registry.public.example/library/debian:12\n");
        // A machine without apt sources: nothing is allowed, not even a well-known public registry.
        SpecValidator bare = new SpecValidator(HostPolicy.configured(List.of("apt-sources"), apt), java.time.Clock.systemUTC());
        assertEquals(Violation.HOST_NOT_ALLOWED, violationsOf(bare, mirror).get(0).code());
        assertEquals(Violation.HOST_NOT_ALLOWED, violationsOf(bare, registry).get(0).code());

        Files.writeString(apt.resolve("sources.list"), "deb http://deb.apt-source.example/debian bookworm main\n");
        SpecValidator sourced = new SpecValidator(HostPolicy.configured(List.of("apt-sources"), apt), java.time.Clock.systemUTC());
        assertEquals("http://deb.apt-source.example/debian",
                sourced.validate(parser.parse(mirror.getBytes(StandardCharsets.UTF_8), SpecParser.Format.YAML))
                        .spec().os().base().debootstrap().mirror());
        assertEquals(Violation.HOST_NOT_ALLOWED, violationsOf(sourced, registry).get(0).code());
    }

    /** The shipped setting, not only the code's default: a public mirror list there would be every installation's. */
    @Test
    void theShippedAllowListIsTheMachinesAptSources() throws IOException {
        Properties shipped = new Properties();
        try (InputStream in = SpecValidator.class.getResourceAsStream("/application.properties")) {
            shipped.load(in);
        }
        assertEquals(AptSources.TOKEN, shipped.getProperty("byoos.spec.allowed-hosts"));
        assertEquals(Set.of("byoos.spec.allowed-hosts", "%test.byoos.spec.allowed-hosts"),
                shipped.stringPropertyNames().stream().filter(name -> name.endsWith("byoos.spec.allowed-hosts"))
                        .collect(Collectors.toSet()), "no profile but the tests' sets its own");
    }

    private List<Violation> violationsOf(SpecValidator validator, String yaml) {
        SpecRejectedException rejected = assertThrows(SpecRejectedException.class,
                () -> validator.validate(parser.parse(yaml.getBytes(StandardCharsets.UTF_8), SpecParser.Format.YAML)));
        return rejected.violations();
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
    void rejectsAnAnchorOnAKeyAndAnAliasAsAKey() {
        for (String yaml : List.of(VALID.replace("  team: platform", "  &k team: platform"),
                VALID.replace("  team: platform", "  team: platform\n  labels: {&k a: b, *k : c}"))) {
            List<Violation> violations = violations(yaml);
            assertEquals(Violation.MALFORMED_DOCUMENT, violations.get(0).code());
            assertTrue(violations.get(0).message().contains("anchors and aliases"), violations.get(0).message());
        }
    }

    @Test
    void rejectsASecondDocumentInsteadOfDroppingIt() {
        List<Violation> violations = violations(VALID + "\n---\nkind: ImageSpec\n");
        assertEquals(Violation.MALFORMED_DOCUMENT, violations.get(0).code());
        assertTrue(violations.get(0).message().contains("more than one YAML document"), violations.get(0).message());
        assertEquals("platform", validate("---\n" + VALID).metadata().team(), "a leading document marker is one document");
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
    void aYamlSyntaxErrorSaysWhereAndWhat() {
        List<Violation> violations = violations(VALID.replace("name: node", "name: [node"));
        assertEquals(Violation.MALFORMED_DOCUMENT, violations.get(0).code());
        String message = violations.get(0).message();
        assertTrue(message.matches("not a valid YAML document: line \\d+, column \\d+: .*expected.*"), message);
    }

    @Test
    void aJsonSyntaxErrorSaysWhere() {
        List<Violation> violations = assertThrows(SpecRejectedException.class,
                () -> new SpecParser().parse("{\"kind\": \"ImageSpec\",\n \"spec\": [}".getBytes(StandardCharsets.UTF_8),
                        SpecParser.Format.JSON)).violations();
        String message = violations.get(0).message();
        assertTrue(message.startsWith("not a valid JSON document: line 2, column "), message);
    }

    @Test
    void rejectsAnEmptyDocument() {
        assertEquals(Violation.MALFORMED_DOCUMENT, violations("").get(0).code());
    }
}
