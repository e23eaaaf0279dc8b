package dev.byoos.spec.validation;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import dev.byoos.spec.config.SpecServiceConfig;

/**
 * The Kubernetes support matrix the service goes by, one for intake and the input watcher alike:
 * the operator's file ({@code byoos.spec.kubernetes-support-matrix-file}) or the bundled one. A
 * file that cannot be read stops the start rather than falling back silently.
 */
public class SupportMatrices {

    @Produces
    @Singleton
    KubernetesSupportMatrix matrix(SpecServiceConfig config) {
        return KubernetesSupportMatrix.load(config.kubernetesSupportMatrixFile());
    }
}
