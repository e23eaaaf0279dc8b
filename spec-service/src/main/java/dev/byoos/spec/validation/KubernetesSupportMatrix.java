package dev.byoos.spec.validation;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The Kubernetes releases images can be built for and the component versions that go with each,
 * shipped as data ({@code byoos/kubernetes-support-matrix.json}) so that supporting a release is
 * a data change, reviewed like code. An installation may replace it with a file of its own
 * ({@code byoos.spec.kubernetes-support-matrix-file}) to add a patch release without a new version.
 */
public final class KubernetesSupportMatrix {

    public static final String RESOURCE = "/byoos/kubernetes-support-matrix.json";
    /** A release as the matrix names it: its minor ({@code 1.30}) and its patch number. */
    private static final Pattern RELEASE = Pattern.compile("([0-9]{1,4}\\.[0-9]{1,4})\\.([0-9]{1,6})");

    /** The components installed with Kubernetes and defaulted from the matrix. */
    public record Components(String cni, String containerd, String crictl) {
    }

    private final Map<String, Components> releases;

    private KubernetesSupportMatrix(Map<String, Components> releases) {
        this.releases = Collections.unmodifiableMap(releases);
    }

    /** The bundled matrix. */
    public static KubernetesSupportMatrix load() {
        try (InputStream in = KubernetesSupportMatrix.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath");
            }
            return read(in, RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The operator's matrix file ({@code byoos.spec.kubernetes-support-matrix-file}) when set, else the bundled one. */
    public static KubernetesSupportMatrix load(Optional<Path> file) {
        if (file.isEmpty()) {
            return load();
        }
        try (InputStream in = Files.newInputStream(file.get())) {
            return read(in, file.get().toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Kubernetes support matrix " + file.get(), e);
        }
    }

    private static KubernetesSupportMatrix read(InputStream in, String source) throws IOException {
        JsonNode root = new ObjectMapper().readTree(in);
        Map<String, Components> releases = new TreeMap<>();
        root.path("releases").fields().forEachRemaining(release -> {
            if (!RELEASE.matcher(release.getKey()).matches()) {
                throw new IllegalStateException(source + ": '" + release.getKey() + "' is not a release (1.30.4)");
            }
            releases.put(release.getKey(), new Components(release.getValue().path("cni").asText(),
                    release.getValue().path("containerd").asText(), release.getValue().path("crictl").asText()));
        });
        if (releases.isEmpty()) {
            throw new IllegalStateException(source + " names no releases");
        }
        return new KubernetesSupportMatrix(releases);
    }

    /** The highest release of {@code version}'s minor above it, if the matrix has one (1.30.4 → 1.30.9). */
    public Optional<String> higherPatch(String version) {
        Matcher current = RELEASE.matcher(version);
        if (!current.matches()) {
            return Optional.empty();
        }
        String minor = current.group(1);
        long patch = Long.parseLong(current.group(2));
        return releases.keySet().stream().map(RELEASE::matcher).filter(Matcher::matches)
                .filter(release -> release.group(1).equals(minor) && Long.parseLong(release.group(2)) > patch)
                .max(Comparator.comparingLong(release -> Long.parseLong(release.group(2))))
                .map(release -> release.group(0));
    }

    public Optional<Components> componentsFor(String kubernetesVersion) {
        return Optional.ofNullable(releases.get(kubernetesVersion));
    }

    public Set<String> releases() {
        return new TreeSet<>(releases.keySet());
    }

    /** Every version of one component that some supported release ships with. */
    public Set<String> knownVersions(String component) {
        Set<String> versions = new TreeSet<>();
        for (Components components : releases.values()) {
            versions.add(switch (component) {
                case "cni" -> components.cni();
                case "containerd" -> components.containerd();
                case "crictl" -> components.crictl();
                default -> throw new IllegalArgumentException("unknown component " + component);
            });
        }
        return versions;
    }
}
