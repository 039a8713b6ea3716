package apperr

import "errors"

// InputError is a request for an outside party (the partner bank, the
// verification service) refused before it is sent. It names the field and
// the problem, never the value, and keeps the cause (idcard's error, with
// its own code).
type InputError struct {
	Scope   string // what was checked, e.g. "student verification"
	Field   string // the field as the graph's input spells it
	Problem string // English, shown to the user
	Err     error  // the cause; may be nil
}

func (e *InputError) Error() string {
	s := e.Field + ": " + e.Problem
	if e.Scope != "" {
		s = e.Scope + ": " + s
	}
	return s
}

func (e *InputError) Unwrap() error { return e.Err }

// AppError is the error the graph shows for e: the cause's own (with its
// code, e.g. AGE_RESTRICTED) when it has one, BAD_USER_INPUT otherwise;
// both name the field.
func (e *InputError) AppError() *Error {
	if ae, ok := As(e.Err); ok {
		return ae.With("field", e.Field)
	}
	return BadField(e.Field, "%s", e.Problem)
}

// Scoped names what was checked in an *InputError err; other errors pass.
func Scoped(scope string, err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		ie.Scope = scope
	}
	return err
}
