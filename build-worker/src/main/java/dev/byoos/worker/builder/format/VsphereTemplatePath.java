package dev.byoos.worker.builder.format;

import java.util.List;
import java.util.regex.Pattern;

import dev.byoos.contract.BuildCompleted.CloudImage;
import dev.byoos.worker.builder.core.BuildException;

/**
 * How build.completed names a vSphere template, whichever builder made it: cloud {@code vsphere}, no
 * region, id {@code [<folder>/]<template name>}. pack-publisher takes that path as it is for the
 * pack's template, so both builders report the one shape.
 */
public final class VsphereTemplatePath {

    /** What spec-service accepts as a folder (its image spec schema). */
    static final Pattern FOLDER = Pattern.compile("[A-Za-z0-9 _./-]{1,255}");

    private VsphereTemplatePath() {
    }

    /**
     * @param folder the spec's vSphere folder, or null for the template at the top
     * @throws BuildException BAD_INPUT INVALID_VSPHERE_FOLDER for a folder spec-service would not accept or
     *                        one that climbs out of itself ({@code ..}): the path would name another template
     */
    public static CloudImage of(String folder, String templateName) {
        if (folder == null || folder.isBlank()) {
            return new CloudImage("vsphere", null, templateName);
        }
        if (!FOLDER.matcher(folder).matches() || List.of(folder.split("/")).contains("..")) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "INVALID_VSPHERE_FOLDER",
                    "the vSphere folder '" + folder + "' is not a folder path: " + FOLDER
                            + " without '..' segments", null);
        }
        return new CloudImage("vsphere", null, folder.replaceAll("/+$", "") + "/" + templateName);
    }
}
