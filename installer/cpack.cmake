# CPack: `cpack` in the build dir writes packages/ with qedge-cloudhub, qedge-edgehub and qedge-console
# .debs (one per component group) and one qedge-<version>-Linux.tar.gz of everything.
set(CPACK_PACKAGE_NAME qedge)
set(CPACK_PACKAGE_VENDOR "QEdge")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${QEDGE_PACKAGE_MAINTAINER}")
set(CPACK_OUTPUT_FILE_PREFIX packages)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build" "/run-data/")

# Sample configs go to the absolute /etc/qedge: package through DESTDIR so nothing lands on the host.
# The unit files name ${QEDGE_FULL_BINDIR}, so the packages always use that prefix.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX ${QEDGE_PACKAGING_PREFIX})
set(CPACK_PACKAGING_INSTALL_PREFIX ${QEDGE_PACKAGING_PREFIX})

set(qedge_components)
foreach(comp cloudhub qedgectl docs edgehub console)
    set(tgt ${comp})
    if(comp STREQUAL "console")
        set(tgt qedge-console)
    elseif(comp STREQUAL "docs")
        set(tgt cloudhub)
    endif()
    if(TARGET ${tgt})
        list(APPEND qedge_components ${comp})
    endif()
endforeach()
set(CPACK_COMPONENTS_ALL ${qedge_components})

if(WIN32)
    # The Windows installer is NSIS driven by the `windows-installer` target (installer/windows/README-windows.md).
    set(CPACK_GENERATOR "ZIP")
    set(CPACK_INSTALL_PREFIX "")
    set(CPACK_PACKAGING_INSTALL_PREFIX "")
    set(CPACK_SET_DESTDIR OFF)
else()
    set(CPACK_GENERATOR "DEB;TGZ")
endif()
set(CPACK_ARCHIVE_COMPONENT_INSTALL OFF)

# -- Debian: one package per group; dependencies from the binaries (dpkg-shlibdeps)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${QEDGE_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

# Qt loads the SQLite driver as a plugin, which dpkg-shlibdeps cannot see; the TLS backend plugin
# comes with libqt6network6, which shlibdeps does find.
set(qedge_service_depends "adduser, init-system-helpers (>= 1.54~), libqt6sql6-sqlite")
set(CPACK_DEBIAN_CLOUDHUB_PACKAGE_DEPENDS "${qedge_service_depends}")
set(CPACK_DEBIAN_CLOUDHUB_PACKAGE_SUGGESTS "libqt6sql6-psql, postgresql")
set(CPACK_DEBIAN_CLOUDHUB_DESCRIPTION "cloud side of the QEdge cloud-edge hub
cloudhub moves desired state to fleets of edge nodes and brings their state
back over links that drop, with nothing lost. It speaks KubeEdge's cloud-edge
protocol, so KubeEdge edgecores can join it.

This package holds the cloudhub service with its systemd unit, the sample
configuration /etc/qedge/cloudhub.conf and the qedgectl admin client.")
set(CPACK_DEBIAN_EDGEHUB_PACKAGE_DEPENDS "${qedge_service_depends}")
set(CPACK_DEBIAN_EDGEHUB_PACKAGE_RECOMMENDS "mosquitto")
set(CPACK_DEBIAN_EDGEHUB_DESCRIPTION "edge agent of the QEdge cloud-edge hub
edgehub runs on each edge node: it joins a QEdge cloudhub (or a KubeEdge
cloudcore), keeps the node's resources in SQLite, relays device twins and
events over MQTT and serves a local HTTP API on 127.0.0.1.

This package holds the edgehub service with its systemd unit and the sample
configuration /etc/qedge/edgehub.conf.")
set(CPACK_DEBIAN_CONSOLE_PACKAGE_SECTION x11)
set(CPACK_DEBIAN_CONSOLE_DESCRIPTION "desktop console of the QEdge cloud-edge hub
qedge-console connects to a QEdge cloudhub's admin API and shows its nodes,
their resources, queues and device twins, with live charts of queue depth
and message rates.")

foreach(svc cloudhub edgehub)
    string(TOUPPER ${svc} SVC)
    set(d ${QEDGE_GEN_DIR}/debian/${svc})
    set(CPACK_DEBIAN_${SVC}_PACKAGE_CONTROL_EXTRA "${d}/postinst;${d}/prerm;${d}/postrm;${d}/conffiles")
endforeach()

include(CPack)

cpack_add_component_group(cloudhub DISPLAY_NAME "cloudhub service"
    DESCRIPTION "The cloud service, its admin client and documentation")
cpack_add_component(cloudhub DISPLAY_NAME "cloudhub" GROUP cloudhub)
cpack_add_component(qedgectl DISPLAY_NAME "qedgectl" GROUP cloudhub)
cpack_add_component(docs DISPLAY_NAME "Documentation" GROUP cloudhub)
cpack_add_component(edgehub DISPLAY_NAME "edgehub service")
cpack_add_component(console DISPLAY_NAME "Desktop console")
