#pragma once

#include <QLoggingCategory>

// One category per area of the hub (DESIGN.md "Observability").
Q_DECLARE_LOGGING_CATEGORY(lcHub)
Q_DECLARE_LOGGING_CATEGORY(lcHubSession)
Q_DECLARE_LOGGING_CATEGORY(lcHubCerts)
Q_DECLARE_LOGGING_CATEGORY(lcHubDelivery)
Q_DECLARE_LOGGING_CATEGORY(lcHubStore)
Q_DECLARE_LOGGING_CATEGORY(lcHubAdmin)
