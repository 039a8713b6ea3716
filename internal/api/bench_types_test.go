package api_test

import (
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/infra/mask"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

type (
	maskKind = mask.Kind
	purpose  = pii.Purpose
	subject  = privacy.Subject
)
