package dev.byoos.spec.validation;

import java.util.List;

/** The rules of {@code /spec/kubernetes}: the release and the components are in the support matrix. */
final class KubernetesRules implements SpecRule {

    static final List<String> COMPONENTS = List.of("containerd", "cni", "crictl");
    private static final String AT = "/spec/kubernetes";

    private final KubernetesSupportMatrix matrix;

    KubernetesRules(KubernetesSupportMatrix matrix) {
        this.matrix = matrix;
    }

    @Override
    public void check(SpecDocument spec, Violations violations) {
        String version = release(spec.text(AT + "/version"));
        if (version != null && matrix.componentsFor(version).isEmpty()) {
            violations.add(AT + "/version", Violation.UNSUPPORTED_VERSION, "Kubernetes " + version
                    + " is not in the support matrix; supported: " + matrix.releases());
        }
        for (String component : COMPONENTS) {
            String given = spec.text(AT + "/" + component);
            if (given != null && !matrix.knownVersions(component).contains(given)) {
                violations.add(AT + "/" + component, Violation.UNSUPPORTED_VERSION, component + " " + given
                        + " is not in the support matrix; known: " + matrix.knownVersions(component));
            }
        }
    }

    /** The release as the matrix names it: without the leading v a spec may write. */
    static String release(String version) {
        return version == null ? null : version.replaceFirst("^v", "");
    }
}
