package v1

// NotificationFinalizer is the finalizer the notification controller puts on the objects it
// reconciles.
const NotificationFinalizer = "finalizers.fluxcd.io"

// Reasons of the conditions and events of the notification kinds.
const (
	// InitializedReason signals that an object was validated and is ready for use.
	InitializedReason string = "Initialized"
	// ValidationFailedReason signals that part of an object's spec is invalid.
	ValidationFailedReason string = "ValidationFailed"
	// TokenNotFoundReason signals that the Secret holding a Receiver's token is missing or
	// has no token.
	TokenNotFoundReason string = "TokenNotFound"
	// InvalidConfigReason signals that part of an object's configuration cannot be used, for
	// example a regular expression or a CEL expression that does not compile.
	InvalidConfigReason string = "InvalidConfig"
	// NotificationDispatchFailedReason signals that sending a notification to a provider
	// failed.
	NotificationDispatchFailedReason string = "NotificationDispatchFailed"
	// SourceFetchFailedReason signals that the object an event is about could not be read to
	// match an Alert's label selector.
	SourceFetchFailedReason string = "SourceFetchFailed"
	// MetadataAppendFailedReason signals that the metadata of an event could not be merged
	// with an Alert's eventMetadata because of conflicting keys.
	MetadataAppendFailedReason string = "MetadataAppendFailed"
)
