package reconcile

import "time"

type outcome int

const (
	outcomeDone outcome = iota
	outcomeStalled
	outcomeWaiting
	outcomeTransient
)

// Result is what a step returns. The zero value means the step is done and the next one runs.
type Result struct {
	outcome outcome
	// Reason is the condition reason the result sets on Ready (and Stalled when stalling).
	Reason string
	// Err explains a failure or a wait; its text becomes the condition message.
	Err error
	// Message is the Ready message of a successful reconcile (the last step's that sets one).
	Message string
	// RequeueAfter asks for the next reconcile sooner than the object's interval.
	RequeueAfter time.Duration
}

// Done is a successful step whose reason and message (both optional) describe the Ready state.
func Done(reason, message string) Result {
	return Result{Reason: reason, Message: message}
}

// Stalled is a failure that only a change of the spec can mend: Stalled=True, Ready=False,
// and no retry until the object changes.
func Stalled(reason string, err error) Result {
	return Result{outcome: outcomeStalled, Reason: reason, Err: err}
}

// Waiting is an expected wait for something else, such as a dependency becoming Ready: the
// object is woken by a watch, and the wait is not reported as an error.
func Waiting(reason string, err error) Result {
	return Result{outcome: outcomeWaiting, Reason: reason, Err: err}
}

// Transient is a failure that may go away on its own: Ready=False, Reconciling=True, and a
// retry with back-off (or after spec.retryInterval where the kind has one).
func Transient(reason string, err error) Result {
	return Result{outcome: outcomeTransient, Reason: reason, Err: err}
}

// TransientAfter is Transient retried after d instead of the back-off: for a retry delay the
// object asks for (a remediation strategy's retryInterval, say).
func TransientAfter(reason string, err error, d time.Duration) Result {
	return Result{outcome: outcomeTransient, Reason: reason, Err: err, RequeueAfter: d}
}

// IsDone reports whether the step succeeded.
func (r Result) IsDone() bool { return r.outcome == outcomeDone }

// IsStalled reports whether the step stalled.
func (r Result) IsStalled() bool { return r.outcome == outcomeStalled }

// IsWaiting reports whether the step waits for something else.
func (r Result) IsWaiting() bool { return r.outcome == outcomeWaiting }

// IsTransient reports whether the step failed transiently.
func (r Result) IsTransient() bool { return r.outcome == outcomeTransient }

// message returns the text for conditions: the error for failures and waits.
func (r Result) message() string {
	if r.Err != nil {
		return r.Err.Error()
	}
	return r.Message
}
