package dev.byoos.worker.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * Pushes a build's OCI image archive (the {@code oci} format's output) to the registry with
 * {@code skopeo copy --preserve-digests}, as {@code <registry>/<base-path>/edge/<pack name>:<pack version>},
 * and returns the reference with the manifest digest the registry now serves under it.
 *
 * <p>Never overwrites a tag: the tag is inspected first, and the image is pushed only when the tag is
 * absent. A tag that holds the archive's manifest already (a redelivered or retried build: the
 * archive is reproducible) is the push done; a tag holding any other manifest is another build's
 * image, and the build fails with {@value #EDGE_TAG_TAKEN} instead of replacing it. The registry has
 * no compare-and-set, so two pushes of one tag in the same instant can still race; pack-publisher's
 * name ownership and spec-service's one pack version per spec version keep that to one team's own
 * forced rebuilds. A registry that cannot be reached,
 * answers with an error or refuses the credentials is an infrastructure failure, retried by the
 * worker's retry loop while the build waits for the {@code registry}.
 */
public final class OciImagePusher {

    /** A push of a large root filesystem over a slow link; skopeo is killed after this. */
    static final Duration PUSH_TIMEOUT = Duration.ofMinutes(30);
    static final Duration INSPECT_TIMEOUT = Duration.ofMinutes(5);
    public static final String REGISTRY_UNAVAILABLE = "REGISTRY_UNAVAILABLE";
    public static final String REGISTRY_AUTH_FAILED = "REGISTRY_AUTH_FAILED";
    /** The tag holds another image: edge tags are immutable, like pack versions. */
    public static final String EDGE_TAG_TAKEN = "EDGE_TAG_TAKEN";
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param url           {@code https://host[:port]} (TLS, verified) or {@code http://host[:port]} (plain HTTP)
     * @param basePath      repository prefix, e.g. {@code byoos}; blank for none
     * @param caCertificate a PEM file of the CA certificates to trust for an https registry behind a private CA
     */
    public record Settings(URI url, String basePath, Optional<String> username, Optional<String> password,
            Optional<Path> caCertificate) {

        public Settings {
            if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme()) || url.getHost() == null) {
                throw new IllegalArgumentException("byoos.worker.registry.url must be http://host[:port] or "
                        + "https://host[:port], not " + url);
            }
            basePath = basePath == null ? "" : basePath.replaceAll("^/+|/+$", "");
        }

        boolean plainHttp() {
            return "http".equals(url.getScheme());
        }

        String host() {
            return url.getHost() + (url.getPort() == -1 ? "" : ":" + url.getPort());
        }
    }

    private final Settings settings;

    public OciImagePusher(Settings settings) {
        this.settings = settings;
    }

    /**
     * The reference an Edge build's image is pushed to. A tag cannot hold {@code +}, so semantic
     * versions with build metadata ({@code 1.0.0+1}) are tagged with {@code _} in its place.
     */
    public String reference(BuildCoordinates build) {
        String repository = (settings.basePath().isEmpty() ? "" : settings.basePath() + "/") + "edge/"
                + build.pack().name();
        return settings.host() + "/" + repository + ":" + build.pack().version().replace('+', '_');
    }

    /**
     * @param archive the OCI layout archive ({@code oci-archive}) the build wrote
     * @param workDir the build's scratch directory (skopeo's temporary files, credentials file)
     * @throws BuildException INFRASTRUCTURE {@value #REGISTRY_UNAVAILABLE} or {@value #REGISTRY_AUTH_FAILED};
     *                        BAD_INPUT {@value #EDGE_TAG_TAKEN} when the tag holds another image;
     *                        BUILDER OCI_DIGEST_MISMATCH when the registry holds another manifest than the archive's
     */
    public BuildCompleted.OciImage push(Path archive, BuildCoordinates build, Path workDir, CommandRunner commands) {
        String reference = reference(build);
        String expected = manifestDigest(archive, workDir, commands);
        Optional<String> existing = taggedDigest(reference, workDir, commands);
        if (existing.isPresent()) {
            if (!existing.get().equals(expected)) {
                throw new BuildException(BuildException.Kind.BAD_INPUT, EDGE_TAG_TAKEN, reference + " already holds "
                        + "another image (manifest " + existing.get() + ", this build's is " + expected + "); edge "
                        + "image tags are immutable: submit the spec with a new spec.pack.version", null);
            }
            return new BuildCompleted.OciImage(reference, expected);
        }
        Path digestFile = workDir.resolve("oci-push.digest");
        List<String> command = new ArrayList<>(List.of("skopeo", "copy", "--preserve-digests", "--retry-times", "0",
                "--digestfile", digestFile.toString()));
        command.addAll(registryOptions("--dest-", workDir));
        command.add("oci-archive:" + archive);
        command.add("docker://" + reference);
        CommandRunner.Exit exit = commands.runScript(PUSH_TIMEOUT, workDir, environment(workDir),
                command.toArray(String[]::new));
        if (exit.timedOut()) {
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, REGISTRY_UNAVAILABLE, "pushing the OCI image to "
                    + reference + " did not finish within " + PUSH_TIMEOUT.toMinutes() + " min", null);
        }
        if (exit.code() != 0) {
            throw registryFailure("did not take the OCI image", reference, exit);
        }
        String pushed;
        try {
            pushed = Files.readString(digestFile).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!pushed.equals(expected)) {
            throw new BuildException(BuildException.Kind.BUILDER, "OCI_DIGEST_MISMATCH", "the registry holds manifest "
                    + pushed + " under " + reference + ", but the image's manifest is " + expected
                    + " (skopeo must push it unchanged)", null);
        }
        return new BuildCompleted.OciImage(reference, pushed);
    }

    /**
     * The digest of the manifest the registry serves under {@code reference} (the top-level manifest,
     * whatever it is), or empty when the tag does not exist.
     */
    private Optional<String> taggedDigest(String reference, Path workDir, CommandRunner commands) {
        List<String> command = new ArrayList<>(List.of("skopeo", "inspect", "--retry-times", "0", "--format",
                "{{.Digest}}"));
        command.addAll(registryOptions("--", workDir));
        command.add("docker://" + reference);
        CommandRunner.Exit exit = commands.runScript(INSPECT_TIMEOUT, workDir, environment(workDir),
                command.toArray(String[]::new));
        if (exit.timedOut()) {
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, REGISTRY_UNAVAILABLE, "inspecting "
                    + reference + " did not finish within " + INSPECT_TIMEOUT.toMinutes() + " min", null);
        }
        String lower = exit.output().toLowerCase(Locale.ROOT);
        if (exit.code() != 0) {
            // The distribution API's MANIFEST_UNKNOWN / NAME_UNKNOWN: nothing is tagged there yet.
            if (lower.contains("manifest unknown") || lower.contains("name unknown")) {
                return Optional.empty();
            }
            throw registryFailure("could not be asked whether the tag exists", reference, exit);
        }
        Matcher digest = DIGEST.matcher(exit.output());
        if (!digest.find()) {
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, REGISTRY_UNAVAILABLE, "skopeo inspect "
                    + "named no manifest digest for " + reference + ": " + CommandRunner.lastLines(exit.output()), null);
        }
        return Optional.of(digest.group());
    }

    /** TLS and credentials options of skopeo, for the destination ({@code --dest-}) or an inspected image ({@code --}). */
    private List<String> registryOptions(String prefix, Path workDir) {
        List<String> options = new ArrayList<>();
        if (settings.plainHttp()) {
            options.add(prefix + "tls-verify=false");
        } else {
            options.add(prefix + "tls-verify=true");
            settings.caCertificate().ifPresent(ca -> options.addAll(List.of(prefix + "cert-dir", certDir(ca, workDir))));
        }
        if (settings.username().isPresent()) {
            options.addAll(List.of(prefix + "authfile", authFile(workDir)));
        }
        return options;
    }

    private BuildException registryFailure(String what, String reference, CommandRunner.Exit exit) {
        String output = CommandRunner.lastLines(exit.output());
        String lower = output.toLowerCase(Locale.ROOT);
        boolean auth = lower.contains("unauthorized") || lower.contains("authentication required")
                || lower.contains("denied");
        return new BuildException(BuildException.Kind.INFRASTRUCTURE, auth ? REGISTRY_AUTH_FAILED
                : REGISTRY_UNAVAILABLE, (auth ? "the registry " + settings.url() + " refused the worker's "
                + "credentials (byoos.worker.registry.username/password)" : "the registry " + settings.url() + " "
                + what) + " for " + reference + ": skopeo exited with " + exit.code() + ": " + output, null);
    }

    /** The digest of the archive's manifest, as skopeo reads it. */
    private static String manifestDigest(Path archive, Path workDir, CommandRunner commands) {
        String inspected = commands.run(INSPECT_TIMEOUT, workDir, null, "skopeo", "inspect", "oci-archive:" + archive);
        try {
            String digest = JSON.readTree(inspected).path("Digest").asText();
            if (!digest.matches("sha256:[0-9a-f]{64}")) {
                throw new BuildException(BuildException.Kind.BUILDER, "OUTPUT_CHECK_FAILED",
                        "skopeo inspect names no manifest digest for " + archive.getFileName() + ": " + inspected, null);
            }
            return digest;
        } catch (IOException e) {
            throw new BuildException(BuildException.Kind.BUILDER, "OUTPUT_CHECK_FAILED",
                    "skopeo inspect printed no JSON for " + archive.getFileName() + ": " + e.getMessage(), e);
        }
    }

    /** skopeo's own environment: its home and temporary files in the build's directory, nobody's auth files. */
    private static Map<String, String> environment(Path workDir) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", Optional.ofNullable(System.getenv("PATH")).orElse("/usr/sbin:/usr/bin:/sbin:/bin"));
        env.put("HOME", workDir.toString());
        env.put("TMPDIR", workDir.toString());
        env.put("LC_ALL", "C");
        return env;
    }

    /** Credentials in a file readable by the worker only, never on a command line other processes can read. */
    private String authFile(Path workDir) {
        ObjectNode auths = JSON.createObjectNode();
        String basic = settings.username().orElseThrow() + ":" + settings.password().orElse("");
        auths.putObject("auths").putObject(settings.host()).put("auth",
                Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)));
        try {
            Path file = workDir.resolve("registry-auth.json");
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(file, JSON.writeValueAsBytes(auths));
            return file.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** skopeo trusts the {@code *.crt} files of a directory. */
    private static String certDir(Path caCertificate, Path workDir) {
        try {
            Path dir = Files.createDirectories(workDir.resolve("registry-certs"));
            Files.copy(caCertificate, dir.resolve("ca.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return dir.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
