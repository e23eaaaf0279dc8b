package dev.byoos.pack.render;

import java.net.URI;
import java.util.Optional;

/**
 * Installation settings that turn a stored artifact into the reference Palette resolves in the
 * target's infrastructure, for targets whose builder does not report that reference itself or
 * reports it without its vSphere folder.
 *
 * @param azureVhdBaseUrl       the blob container the installation copies VHDs into, e.g.
 *                              {@code https://acct.blob.core.windows.net/vhds}; a VHD is expected at
 *                              {@code <base>/<sha256>.vhd}
 * @param gcpProject            the GCP project images are imported into; without it the bare image
 *                              name is used, which GCE resolves in the cluster's own project
 * @param vsphereTemplateFolder the vSphere folder put before a reported template path that names no
 *                              folder, e.g. {@code /Datacenter/vm/byoos}; without it such a path is
 *                              used as it is
 */
public record TargetSettings(Optional<URI> azureVhdBaseUrl, Optional<String> gcpProject,
        Optional<String> vsphereTemplateFolder) {

    public static TargetSettings none() {
        return new TargetSettings(Optional.empty(), Optional.empty(), Optional.empty());
    }
}
