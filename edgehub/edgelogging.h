#pragma once

#include <QLoggingCategory>

// One category per area of the edge (DESIGN.md "Observability").
Q_DECLARE_LOGGING_CATEGORY(lcEdge)
Q_DECLARE_LOGGING_CATEGORY(lcEdgeLink)
Q_DECLARE_LOGGING_CATEGORY(lcEdgeCert)
Q_DECLARE_LOGGING_CATEGORY(lcEdgeMeta)
Q_DECLARE_LOGGING_CATEGORY(lcEdgeOutbox)
Q_DECLARE_LOGGING_CATEGORY(lcEdgeApi)
