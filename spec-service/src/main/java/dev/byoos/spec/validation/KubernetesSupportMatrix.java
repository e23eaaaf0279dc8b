package dev.byoos.spec.validation;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The Kubernetes releases images can be built for and the component versions that go with each,
 * shipped as data ({@code byoos/kubernetes-support-matrix.json}) so that supporting a release is
 * a data change, reviewed like code.
 */
public final class KubernetesSupportMatrix {

    public static final String RESOURCE = "/byoos/kubernetes-support-matrix.json";

    /** The components installed with Kubernetes and defaulted from the matrix. */
    public record Components(String cni, String containerd, String crictl) {
    }

    private final Map<String, Components> releases;

    private KubernetesSupportMatrix(Map<String, Components> releases) {
        this.releases = Collections.unmodifiableMap(releases);
    }

    public static KubernetesSupportMatrix load() {
        try (InputStream in = KubernetesSupportMatrix.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath");
            }
            JsonNode root = new ObjectMapper().readTree(in);
            Map<String, Components> releases = new TreeMap<>();
            root.path("releases").fields().forEachRemaining(release -> releases.put(release.getKey(),
                    new Components(release.getValue().path("cni").asText(), release.getValue().path("containerd").asText(),
                            release.getValue().path("crictl").asText())));
            return new KubernetesSupportMatrix(releases);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
