package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWarm(t *testing.T) {
	assert := assert.New(t)
	assert.NotEqual("", Warm())
}
