package api_test

import (
	"github.com/tongxue/tongxue/internal/mask"
	"github.com/tongxue/tongxue/internal/pii"
	"github.com/tongxue/tongxue/internal/privacy"
)

type (
	maskKind = mask.Kind
	purpose  = pii.Purpose
	subject  = privacy.Subject
)
