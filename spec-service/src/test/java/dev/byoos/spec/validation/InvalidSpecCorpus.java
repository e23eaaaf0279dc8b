package dev.byoos.spec.validation;

import static dev.byoos.spec.validation.SpecValidatorTest.VALID;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import org.junit.jupiter.params.provider.Arguments;

/**
 * The invalid-spec corpus: each case is a small edit of a valid spec that breaks one rule, with
 * the JSON pointer and code the rejection must carry. SpecValidatorTest runs it against the
 * validator; SpecCorpusRestTest posts every case to the running service and checks that nothing
 * was written. Every rule of docs/spec-reference.md is hit at least once.
 */
public final class InvalidSpecCorpus {

    /** A valid spec using every customization, for cases that edit one of them. */
    public static final String FULL = """
            apiVersion: byoos.dev/v1alpha1
            kind: ImageSpec
            metadata:
              name: full
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
                packages: [curl, "jq=1.6-2.1"]
                files:
                  - path: /etc/motd
                    content: hello
                    owner: root:root
                users:
                  - name: ops
                    groups: [adm]
                    sshAuthorizedKeys:
                      - %s
                sysctl:
                  net.ipv4.ip_forward: "1"
                kernelModules: [br_netfilter]
                caCertificates:
                  - name: corp-root
                    pem: |
            %s
                scripts:
                  - name: harden
                    stage: post
                    content: echo hardened > /etc/hardened
                    timeout: 2m
              pack:
                name: byoos-full
                version: 1.0.0
                displayName: Full (BYOOS)
            """.formatted(fixture("ops-ed25519.pub").strip(), indent(fixture("example-root-ca.pem"), "          "));

    private InvalidSpecCorpus() {
    }

    public static String fixture(String name) {
        try (InputStream in = InvalidSpecCorpus.class.getResourceAsStream("/fixtures/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String indent(String text, String prefix) {
        return text.strip().lines().map(line -> prefix + line).reduce((a, b) -> a + "\n" + b).orElse("");
    }

    private static String withTarget(String target) {
        return VALID.replace("    - cloud: qemu\n", target);
    }

    private static String withBase(String base) {
        return VALID.replace("      local: debian-12-skeleton\n", base);
    }

    /** (description, document, pointer, code) */
    public static Stream<Arguments> cases() {
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
                        "/spec/targets/0/format", Violation.NOT_ALLOWED),
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
                Arguments.of("pack version with build metadata, which no OCI tag can hold",
                        VALID.replace("version: 1.0.0", "version: 1.0.0+build.7"), "/spec/pack/version",
                        Violation.INVALID_FORMAT),
                Arguments.of("kubernetes release outside the support matrix", VALID.replace("1.30.4", "1.26.0"),
                        "/spec/kubernetes/version", Violation.UNSUPPORTED_VERSION),
                Arguments.of("component version outside the support matrix",
                        VALID.replace("version: 1.30.4", "version: 1.30.4\n    containerd: 1.6.0"),
                        "/spec/kubernetes/containerd", Violation.UNSUPPORTED_VERSION),
                Arguments.of("unknown kubernetes component", VALID.replace("version: 1.30.4", "version: 1.30.4\n    docker: 1.0.0"),
                        "/spec/kubernetes/docker", Violation.UNKNOWN_FIELD),
                Arguments.of("base name is a host path", VALID.replace("local: debian-12-skeleton", "local: /etc"),
                        "/spec/os/base/local", Violation.INVALID_FORMAT),
                // ---- document and metadata ----
                Arguments.of("wrong kind", VALID.replace("kind: ImageSpec", "kind: Pod"), "/kind", Violation.NOT_ALLOWED),
                Arguments.of("document is a list", "- a\n- b\n", "", Violation.WRONG_TYPE),
                Arguments.of("label key with spaces", VALID.replace("  team: platform\n", "  team: platform\n  labels:\n    \"a b\": x\n"),
                        "/metadata/labels/a b", Violation.INVALID_FORMAT),
                Arguments.of("label value not a string", VALID.replace("  team: platform\n", "  team: platform\n  labels:\n    tier: [1]\n"),
                        "/metadata/labels/tier", Violation.WRONG_TYPE),
                Arguments.of("team not a DNS label", VALID.replace("team: platform", "team: Platform Team"), "/metadata/team",
                        Violation.INVALID_FORMAT),
                Arguments.of("blank name", VALID.replace("name: node", "name: \"  \""), "/metadata/name", Violation.REQUIRED),
                // ---- os and base ----
                Arguments.of("os version with a slash", VALID.replace("version: \"12\"", "version: \"12/../x\""),
                        "/spec/os/version", Violation.INVALID_FORMAT),
                Arguments.of("no base kind", withBase("      {}\n").replace("    base:\n      {}", "    base: {}"),
                        "/spec/os/base", Violation.REQUIRED),
                Arguments.of("two base kinds", withBase("      local: debian-12-skeleton\n      image:\n        reference: registry.mirror.example/a/b:1\n"),
                        "/spec/os/base", Violation.NOT_ALLOWED),
                Arguments.of("debootstrap mirror host not allow-listed",
                        withBase("      debootstrap:\n        suite: bookworm\n        mirror: http://10.0.0.5/debian\n"),
                        "/spec/os/base/debootstrap/mirror", Violation.HOST_NOT_ALLOWED),
                Arguments.of("debootstrap mirror is not a URL",
                        withBase("      debootstrap:\n        suite: bookworm\n        mirror: ftp://deb.mirror.example/debian\n"),
                        "/spec/os/base/debootstrap/mirror", Violation.INVALID_FORMAT),
                Arguments.of("debootstrap mirror with credentials",
                        withBase("      debootstrap:\n        suite: bookworm\n        mirror: https://u:p@deb.mirror.example/debian\n"),
                        "/spec/os/base/debootstrap/mirror", Violation.NOT_ALLOWED),
                Arguments.of("debootstrap for a RPM distribution",
                        withBase("      debootstrap:\n        suite: bookworm\n        mirror: https://deb.mirror.example/debian\n")
                                .replace("name: debian", "name: rockylinux").replace("version: \"12\"", "version: \"9\""),
                        "/spec/os/base/debootstrap", Violation.NOT_ALLOWED),
                Arguments.of("valid image base is not buildable yet",
                        withBase("      image:\n        reference: registry.mirror.example/a/b:1\n"),
                        "/spec/os/base/image", Violation.BASE_NOT_BUILDABLE),
                Arguments.of("tarball over plain http",
                        withBase("      tarball:\n        url: http://images.mirror.example/x.tar\n        sha256: " + "a".repeat(64) + "\n"),
                        "/spec/os/base/tarball/url", Violation.INVALID_FORMAT),
                Arguments.of("tarball without sha256",
                        withBase("      tarball:\n        url: https://images.mirror.example/x.tar\n"),
                        "/spec/os/base/tarball/sha256", Violation.REQUIRED),
                Arguments.of("tarball sha256 malformed",
                        withBase("      tarball:\n        url: https://images.mirror.example/x.tar\n        sha256: abc\n"),
                        "/spec/os/base/tarball/sha256", Violation.INVALID_FORMAT),
                Arguments.of("tarball from the metadata service",
                        withBase("      tarball:\n        url: https://169.254.169.254/latest\n        sha256: " + "a".repeat(64) + "\n"),
                        "/spec/os/base/tarball/url", Violation.HOST_NOT_ALLOWED),
                Arguments.of("base image from an internal registry",
                        withBase("      image:\n        reference: registry.internal:5000/base:1\n"),
                        "/spec/os/base/image/reference", Violation.HOST_NOT_ALLOWED),
                Arguments.of("base image reference without registry",
                        withBase("      image:\n        reference: \"debian:12\"\n"),
                        "/spec/os/base/image/reference", Violation.INVALID_FORMAT),
                // ---- kubernetes and image type ----
                Arguments.of("cni version outside the matrix", VALID.replace("version: 1.30.4", "version: 1.30.4\n    cni: 9.9.9"),
                        "/spec/kubernetes/cni", Violation.UNSUPPORTED_VERSION),
                Arguments.of("crictl not a version", VALID.replace("version: 1.30.4", "version: 1.30.4\n    crictl: latest"),
                        "/spec/kubernetes/crictl", Violation.INVALID_FORMAT),
                Arguments.of("unknown image type", VALID.replace("  targets:", "  imageType: hardened\n  targets:"),
                        "/spec/imageType", Violation.NOT_ALLOWED),
                Arguments.of("fips on debian", VALID.replace("  targets:", "  imageType: fips\n  targets:"),
                        "/spec/imageType", Violation.NOT_ALLOWED),
                Arguments.of("fips with the native builder",
                        VALID.replace("  targets:", "  imageType: fips\n  targets:").replace("name: debian", "name: ubuntu")
                                .replace("version: \"12\"", "version: \"22.04\""),
                        "/spec/targets/0/builder", Violation.NOT_ALLOWED),
                // ---- targets ----
                Arguments.of("unknown builder", withTarget("    - cloud: qemu\n      builder: packer\n"),
                        "/spec/targets/0/builder", Violation.NOT_ALLOWED),
                Arguments.of("native builder cannot make AMIs",
                        withTarget("    - cloud: aws\n      builder: native\n      aws:\n        regions: [eu-west-1]\n"),
                        "/spec/targets/0/builder", Violation.NOT_ALLOWED),
                Arguments.of("aws target without regions", withTarget("    - cloud: aws\n"), "/spec/targets/0/aws", Violation.REQUIRED),
                Arguments.of("aws region malformed", withTarget("    - cloud: aws\n      aws:\n        regions: [Europe]\n"),
                        "/spec/targets/0/aws/regions/0", Violation.INVALID_FORMAT),
                Arguments.of("aws region listed twice",
                        withTarget("    - cloud: aws\n      aws:\n        regions: [eu-west-1, eu-west-1]\n"),
                        "/spec/targets/0/aws/regions/1", Violation.DUPLICATE),
                Arguments.of("azure target without storage location", withTarget("    - cloud: azure\n"),
                        "/spec/targets/0/azure", Violation.REQUIRED),
                Arguments.of("vsphere template name with a path separator",
                        withTarget("    - cloud: vsphere\n      vsphere:\n        templateName: ubuntu/2204\n"),
                        "/spec/targets/0/vsphere/templateName", Violation.INVALID_FORMAT),
                Arguments.of("vsphere folder escaping upwards",
                        withTarget("    - cloud: vsphere\n      vsphere:\n        folder: /dc/vm/../../x\n"),
                        "/spec/targets/0/vsphere/folder", Violation.INVALID_FORMAT),
                Arguments.of("parameters of another cloud",
                        withTarget("    - cloud: qemu\n      aws:\n        regions: [eu-west-1]\n"),
                        "/spec/targets/0/aws", Violation.NOT_ALLOWED),
                Arguments.of("valid vsphere target is not buildable yet", withTarget("    - cloud: vsphere\n"),
                        "/spec/targets/0", Violation.TARGET_NOT_BUILDABLE),
                Arguments.of("targets is not a list", VALID.replace("    - cloud: qemu\n", "    cloud: qemu\n"),
                        "/spec/targets", Violation.WRONG_TYPE),
                // ---- customizations ----
                Arguments.of("package with shell metacharacters", FULL.replace("[curl, ", "[\"curl; rm -rf /\", "),
                        "/spec/customizations/packages/0", Violation.INVALID_FORMAT),
                Arguments.of("package listed twice", FULL.replace("[curl, ", "[curl, curl, "),
                        "/spec/customizations/packages/1", Violation.DUPLICATE),
                Arguments.of("Debian package name with capitals", FULL.replace("[curl, ", "[Curl, "),
                        "/spec/customizations/packages/0", Violation.INVALID_FORMAT),
                Arguments.of("RPM package with a Debian version pin",
                        FULL.replace("name: debian", "name: rockylinux").replace("version: \"12\"", "version: \"9\""),
                        "/spec/customizations/packages/1", Violation.INVALID_FORMAT),
                Arguments.of("file owner malformed", FULL.replace("owner: root:root", "owner: root"),
                        "/spec/customizations/files/0/owner", Violation.INVALID_FORMAT),
                Arguments.of("file written twice", FULL.replace("    files:\n", "    files:\n      - path: /etc/motd\n        content: x\n"),
                        "/spec/customizations/files/1/path", Violation.DUPLICATE),
                Arguments.of("file under /sys", FULL.replace("path: /etc/motd", "path: /sys/kernel/x"),
                        "/spec/customizations/files/0/path", Violation.UNSAFE_PATH),
                Arguments.of("file under /dev", FULL.replace("path: /etc/motd", "path: /dev/sda"),
                        "/spec/customizations/files/0/path", Violation.UNSAFE_PATH),
                Arguments.of("file path ends with a slash", FULL.replace("path: /etc/motd", "path: /etc/motd/"),
                        "/spec/customizations/files/0/path", Violation.UNSAFE_PATH),
                Arguments.of("file without content", FULL.replace("        content: hello\n", ""),
                        "/spec/customizations/files/0/content", Violation.REQUIRED),
                Arguments.of("file content too large", FULL.replace("content: hello", "content: " + "x".repeat(300 * 1024)),
                        "/spec/customizations/files/0/content", Violation.TOO_LARGE),
                Arguments.of("user name with capitals", FULL.replace("name: ops", "name: Ops"),
                        "/spec/customizations/users/0/name", Violation.INVALID_FORMAT),
                Arguments.of("redefining root", FULL.replace("name: ops", "name: root"),
                        "/spec/customizations/users/0/name", Violation.NOT_ALLOWED),
                Arguments.of("group name with a space", FULL.replace("groups: [adm]", "groups: [\"a dm\"]"),
                        "/spec/customizations/users/0/groups/0", Violation.INVALID_FORMAT),
                Arguments.of("ssh key that is not a key", FULL.replace(fixture("ops-ed25519.pub").strip(), "hello world"),
                        "/spec/customizations/users/0/sshAuthorizedKeys/0", Violation.INVALID_FORMAT),
                Arguments.of("ssh key whose blob names another type",
                        FULL.replace("- ssh-ed25519 ", "- ssh-rsa "),
                        "/spec/customizations/users/0/sshAuthorizedKeys/0", Violation.INVALID_FORMAT),
                Arguments.of("ssh key with a forced command",
                        FULL.replace("- ssh-ed25519 ", "- command=\"/bin/sh\" ssh-ed25519 "),
                        "/spec/customizations/users/0/sshAuthorizedKeys/0", Violation.INVALID_FORMAT),
                Arguments.of("sysctl key malformed", FULL.replace("net.ipv4.ip_forward", "ip_forward"),
                        "/spec/customizations/sysctl/ip_forward", Violation.INVALID_FORMAT),
                Arguments.of("sysctl value with a newline", FULL.replace("ip_forward: \"1\"", "ip_forward: \"1\\nkernel.x=1\""),
                        "/spec/customizations/sysctl/net.ipv4.ip_forward", Violation.INVALID_FORMAT),
                Arguments.of("sysctl value a list", FULL.replace("ip_forward: \"1\"", "ip_forward: [1]"),
                        "/spec/customizations/sysctl/net.ipv4.ip_forward", Violation.WRONG_TYPE),
                Arguments.of("kernel module with a path", FULL.replace("[br_netfilter]", "[\"../evil\"]"),
                        "/spec/customizations/kernelModules/0", Violation.INVALID_FORMAT),
                Arguments.of("CA certificate that is not PEM", FULL.replace("-----BEGIN CERTIFICATE-----", "BEGIN"),
                        "/spec/customizations/caCertificates/0/pem", Violation.INVALID_FORMAT),
                Arguments.of("leaf certificate as a CA",
                        FULL.replace(indent(fixture("example-root-ca.pem"), "          "), indent(fixture("leaf-not-a-ca.pem"), "          ")),
                        "/spec/customizations/caCertificates/0/pem", Violation.INVALID_FORMAT),
                Arguments.of("CA certificate without a name", FULL.replace("      - name: corp-root\n        pem:", "      - pem:"),
                        "/spec/customizations/caCertificates/0/name", Violation.REQUIRED),
                Arguments.of("script stage unknown", FULL.replace("stage: post", "stage: during"),
                        "/spec/customizations/scripts/0/stage", Violation.NOT_ALLOWED),
                Arguments.of("script timeout too long", FULL.replace("timeout: 2m", "timeout: 600m"),
                        "/spec/customizations/scripts/0/timeout", Violation.TOO_LARGE),
                Arguments.of("script timeout malformed", FULL.replace("timeout: 2m", "timeout: forever"),
                        "/spec/customizations/scripts/0/timeout", Violation.INVALID_FORMAT),
                Arguments.of("script too large", FULL.replace("content: echo hardened > /etc/hardened", "content: " + "x".repeat(70 * 1024)),
                        "/spec/customizations/scripts/0/content", Violation.TOO_LARGE),
                Arguments.of("unknown customization", FULL.replace("    kernelModules:", "    services: [sshd]\n    kernelModules:"),
                        "/spec/customizations/services", Violation.UNKNOWN_FIELD),
                // ---- pack ----
                Arguments.of("pack name with capitals", VALID.replace("name: byoos-debian", "name: BYOOS"),
                        "/spec/pack/name", Violation.INVALID_FORMAT),
                Arguments.of("pack display name too long", VALID.replace("displayName: Debian (BYOOS)", "displayName: " + "D".repeat(65)),
                        "/spec/pack/displayName", Violation.TOO_LARGE),
                Arguments.of("pack missing", VALID.substring(0, VALID.indexOf("  pack:")), "/spec/pack", Violation.REQUIRED));
    }
}
